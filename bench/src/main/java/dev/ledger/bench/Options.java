package dev.ledger.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/** Command-line options: --name=value; --quick switches to tiny numbers for smoke-testing the harness. */
public final class Options {

    int phaseSeconds = 15;
    int sweepSeconds = 8;
    int rounds = 2;
    double warmupSeconds = 2;
    int firstWarmupSeconds = 60;
    int firstWarmupSecondsMax = 180;
    long seedEvents = 1_000_000;
    int deepEvents = 100_000;
    int deepBlocks = 5;
    int deepBlockSize = 200;
    int seedSecondsMax = 270;
    int deepSeedSecondsMax = 120;
    int deepLatencySecondsMax = 60;
    int budgetSeconds = 840;
    int port = 18080;
    int pgbenchScale = 10;
    int connections = 8;
    int spreadAccounts = 100;
    int[] sweepClients = {1, 2, 4, 8, 16};
    boolean quick;
    boolean writeDocs = true;
    String jar = "ledger-api/target/ledger.jar";
    /** Idempotency keys as clients are told to make them (random UUIDs), or tag-connection-counter. */
    boolean randomKeys = true;

    static final String USAGE = """
            bench/run [options]
              --phase-seconds=15      measured seconds of each A/B phase (pgbench and ledger)
              --sweep-seconds=8       measured seconds per client count in the sweep (1,2,4,8,16)
              --rounds=2              A/B rounds (pgbench c=8, ledger spread c=8, ledger hot c=8)
              --warmup-seconds=2      unmeasured warm-up at the start of each ledger phase
              --first-warmup-seconds=60  unmeasured load before the first phase: the JIT compiles the
                                      service's hot paths (it takes most of a core for about a minute)
              --first-warmup-seconds-max=180  ... and after those seconds, more of it, 10 s at a time, while
                                      the service's JIT compiler threads used over 5 % of a core in
                                      the last 10 s, up to this
              --seed-events=1000000   events seeded in-process before the run (accounts x deposits)
              --deep-events=100000    deposits on the one deep account (deep-000001)
              --deep-blocks=5 --deep-block-size=200   deep vs shallow latency: alternating blocks
              --seed-seconds-max=270  time limit of the big seed (the deep one: --deep-seed-seconds-max=120)
              --deep-latency-seconds-max=60  time limit of the deep vs shallow blocks (stops early, says so)
              --budget-seconds=840    the whole run's time limit: the rebuild wait is cut to what is left
              --port=18080            the service's HTTP port
              --pgbench-scale=10      pgbench -i -s
              --keys=random           Idempotency-Keys: random UUIDs, as clients are told to make them;
                                      `sequential` = run tag, connection and counter (rounds 1-6)
              --no-docs               do not rewrite docs/performance.md and the chart
              --quick                 tiny numbers (about a minute): smoke-test the harness itself
            """;

    static Options parse(String[] args) {
        Options o = new Options();
        Map<String, String> given = new LinkedHashMap<>();
        for (String arg : args) {
            if (arg.equals("--help") || arg.equals("-h")) {
                System.out.print(USAGE);
                System.exit(0);
            }
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unknown argument " + arg + "\n" + USAGE);
            }
            int eq = arg.indexOf('=');
            given.put(eq < 0 ? arg.substring(2) : arg.substring(2, eq), eq < 0 ? "true" : arg.substring(eq + 1));
        }
        if (Boolean.parseBoolean(given.getOrDefault("quick", "false"))) {
            o.quick = true;
            o.phaseSeconds = 3;
            o.sweepSeconds = 2;
            o.rounds = 1;
            o.warmupSeconds = 1;
            o.firstWarmupSeconds = 2;
            o.firstWarmupSecondsMax = 2;
            o.seedEvents = 10_000;
            o.deepEvents = 2_000;
            o.deepBlocks = 2;
            o.deepBlockSize = 50;
            o.pgbenchScale = 2;
            o.seedSecondsMax = 90;
            o.deepSeedSecondsMax = 60;
            o.deepLatencySecondsMax = 30;
            o.budgetSeconds = 240;
        }
        for (Map.Entry<String, String> e : given.entrySet()) {
            String v = e.getValue();
            switch (e.getKey()) {
                case "quick" -> { }
                case "phase-seconds" -> o.phaseSeconds = positive(e.getKey(), v);
                case "sweep-seconds" -> o.sweepSeconds = positive(e.getKey(), v);
                case "rounds" -> o.rounds = positive(e.getKey(), v);
                case "warmup-seconds" -> o.warmupSeconds = Double.parseDouble(v);
                case "first-warmup-seconds" -> o.firstWarmupSeconds = positive(e.getKey(), v);
                case "first-warmup-seconds-max" -> o.firstWarmupSecondsMax = positive(e.getKey(), v);
                case "seed-events" -> o.seedEvents = Long.parseLong(v);
                case "deep-events" -> o.deepEvents = Integer.parseInt(v);
                case "deep-blocks" -> o.deepBlocks = positive(e.getKey(), v);
                case "deep-block-size" -> o.deepBlockSize = positive(e.getKey(), v);
                case "seed-seconds-max" -> o.seedSecondsMax = positive(e.getKey(), v);
                case "deep-seed-seconds-max" -> o.deepSeedSecondsMax = positive(e.getKey(), v);
                case "deep-latency-seconds-max" -> o.deepLatencySecondsMax = positive(e.getKey(), v);
                case "budget-seconds" -> o.budgetSeconds = positive(e.getKey(), v);
                case "port" -> o.port = positive(e.getKey(), v);
                case "pgbench-scale" -> o.pgbenchScale = positive(e.getKey(), v);
                case "no-docs" -> o.writeDocs = false;
                case "jar" -> o.jar = v;
                case "keys" -> o.randomKeys = switch (v) {
                    case "random" -> true;
                    case "sequential" -> false;
                    default -> throw new IllegalArgumentException("--keys must be random or sequential");
                };
                default -> throw new IllegalArgumentException("unknown option --" + e.getKey() + "\n" + USAGE);
            }
        }
        return o;
    }

    private static int positive(String name, String v) {
        int n = Integer.parseInt(v);
        if (n <= 0) {
            throw new IllegalArgumentException("--" + name + " must be positive");
        }
        return n;
    }

    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("quick", quick);
        m.put("phaseSeconds", phaseSeconds);
        m.put("sweepSeconds", sweepSeconds);
        m.put("rounds", rounds);
        m.put("warmupSeconds", warmupSeconds);
        m.put("firstWarmupSeconds", firstWarmupSeconds);
        m.put("firstWarmupSecondsMax", firstWarmupSecondsMax);
        m.put("seedEvents", seedEvents);
        m.put("deepEvents", deepEvents);
        m.put("deepBlocks", deepBlocks);
        m.put("deepBlockSize", deepBlockSize);
        m.put("seedSecondsMax", seedSecondsMax);
        m.put("deepSeedSecondsMax", deepSeedSecondsMax);
        m.put("deepLatencySecondsMax", deepLatencySecondsMax);
        m.put("budgetSeconds", budgetSeconds);
        m.put("port", port);
        m.put("pgbenchScale", pgbenchScale);
        m.put("connections", connections);
        m.put("spreadAccounts", spreadAccounts);
        m.put("keys", randomKeys ? "random" : "sequential");
        return m;
    }
}
