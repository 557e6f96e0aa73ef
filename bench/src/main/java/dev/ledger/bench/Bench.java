package dev.ledger.bench;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The benchmark: the ledger's REST deposits against pgbench on the same PostgreSQL, alternating
 * A B A B, plus a client sweep, deep vs shallow command latency, read-model lag and rebuild speed.
 * Writes bench/target/results.json and the generated part of docs/performance.md (+ chart).
 */
public final class Bench {

    static final String DB = "ledger_bench";
    static final String DB_URL = "jdbc:postgresql://127.0.0.1:5432/" + DB;
    static final String PAYMENTS = "Bearer dev-payments-key";
    static final String ADMIN = "Bearer dev-admin-key";
    static final String LAG_METRIC = "ledger_projection_lag_seconds";
    static final long HEALTH_WAIT_SECONDS = 120;
    static final long REBUILD_WAIT_SECONDS = 600;
    static final long DRAIN_WAIT_MILLIS = 10_000;
    /** How often the warm-up scrapes the metrics, as a Prometheus server would (its default is 60 s; 5 s is common). */
    static final int WARM_UP_SCRAPE_SECONDS = 5;
    static final long RELAY_BACKLOG_WAIT_SECONDS = 45;

    final Options options;
    final Path root;
    final Path target;
    final Run run = new Run();
    private Process service;
    private final CpuMeter cpu = CpuMeter.system();
    private final long started = System.nanoTime();
    private final String runTag = Long.toString(System.currentTimeMillis(), 36);

    Bench(Options options, Path root) {
        this.options = options;
        this.root = root;
        this.target = root.resolve("bench/target");
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Bench bench = new Bench(options, Path.of("").toAbsolutePath());
        Runtime.getRuntime().addShutdownHook(new Thread(bench::stopService, "stop-service"));
        int code;
        try {
            code = bench.execute();
        } finally {
            bench.stopService();
            bench.keepRun();
        }
        System.exit(code);
    }

    /** A copy of this run's results.json and service.log that the next run does not overwrite. */
    void keepRun() {
        if (run.startedAt == null) {
            return;
        }
        try {
            Path dir = RunArchive.keep(target, Instant.parse(run.startedAt), (String) run.environment.get("gitCommit"),
                    RunArchive.KEEP);
            if (dir != null) {
                log("kept this run's results.json and service.log in " + root.relativize(dir));
            }
        } catch (IOException | RuntimeException e) {
            log("keeping this run's files failed: " + e);
        }
    }

    int execute() throws Exception {
        Files.createDirectories(target);
        log("ledger benchmark" + (options.quick ? " (QUICK: tiny numbers, smoke test only)" : "") + ", options "
                + options.toMap());
        run.options = options.toMap();
        run.startedAt = Instant.now().toString();
        stage("environment", this::environment);
        stage("databases", this::databases);
        stage("pgbench init (scale " + options.pgbenchScale + ")", () -> PgBench.init(options.pgbenchScale));
        stage("seed " + options.seedEvents + " events", this::seedSpread);
        stage("seed deep account (" + options.deepEvents + " deposits)", this::seedDeep);
        stage("start service", this::startService);
        if (service == null) {
            run.fatal = "the service did not start; see bench/target/service.log";
            finish();
            return 1;
        }
        stage("relay backlog drained", () -> awaitRelayBacklog("relayBacklogAtStart"));
        stage("open bench accounts", this::openAccounts);
        stage("warm-up (" + options.firstWarmupSeconds + "-" + Math.max(options.firstWarmupSeconds,
                options.firstWarmupSecondsMax) + " s)", this::warmUp);
        stage("A/B rounds (" + options.rounds + ")", this::abRounds);
        stage("client sweep", this::sweep);
        stage("deep vs shallow latency", this::deepVsShallow);
        // The last deposits' events may still be on their way to the feed: both rebuilds should see the same.
        stage("relay backlog drained before the rebuild", () -> awaitRelayBacklog("relayBacklogBeforeRebuild"));
        stage("read-model rebuild", () -> rebuild(run.rebuild));
        // Again, on the same events: the first run is the code's first (cold JIT, store pages not
        // cached yet) and comes right after the load; the second shows a warm service.
        stage("read-model rebuild again", () -> rebuild(run.rebuildAgain));
        finish();
        if (run.fatal != null) {
            return 1;
        }
        if (!run.failures.isEmpty()) {
            log("FAILED stages (their results are marked \"not measured\"): " + run.failures.keySet());
            return 3;
        }
        return 0;
    }

    interface Step {
        void run() throws Exception;
    }

    void stage(String name, Step step) {
        long t0 = System.nanoTime();
        log("stage: " + name + " ...");
        String error = null;
        try {
            step.run();
        } catch (Exception e) {
            error = e.getMessage() == null ? e.toString() : e.getMessage();
            log("stage FAILED: " + name + ": " + error);
            run.failures.put(name, error);
        }
        double s = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> timing = new LinkedHashMap<>();
        timing.put("stage", name);
        timing.put("seconds", round(s, 1));
        timing.put("ok", error == null);
        run.stages.add(timing);
        log(String.format(Locale.ROOT, "stage done: %s in %.1f s%s (total %.0f s)", name, s,
                error == null ? "" : " (FAILED)", (System.nanoTime() - started) / 1e9));
    }

    // ---------------------------------------------------------------- environment and databases

    void environment() throws Exception {
        Map<String, Object> env = run.environment;
        env.put("gitCommit", command(List.of("git", "rev-parse", "--short", "HEAD")));
        env.put("gitDirty", !command(List.of("git", "status", "--porcelain", "--untracked-files=no")).isEmpty());
        env.put("date", Instant.now().toString());
        env.put("nproc", Runtime.getRuntime().availableProcessors());
        env.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        env.put("serviceJvmOptions", String.join(" ", jvmOptions(root)));
        env.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        env.put("postgresql", Procs.psql("postgres", "show server_version"));
        env.put("fsync", Procs.psql("postgres", "show fsync"));
        env.put("synchronous_commit", Procs.psql("postgres", "show synchronous_commit"));
        env.put("shared_buffers", Procs.psql("postgres", "show shared_buffers"));
        env.put("max_wal_size", Procs.psql("postgres", "show max_wal_size"));
        env.put("autovacuum", Procs.psql("postgres", "show autovacuum"));
        env.put("jit", Procs.psql("postgres", "show jit"));
        env.put("max_connections", Procs.psql("postgres", "show max_connections"));
        env.put("pgbench", command(List.of("pgbench", "--version")));
        Path cpuinfo = Path.of("/proc/cpuinfo");
        if (Files.isReadable(cpuinfo)) {
            env.put("cpuModel", Machine.cpu(Files.readString(cpuinfo)));
        }
        // Before anything else loads the machine. The flush in bench/target, and whether that is
        // the filesystem PostgreSQL's data directory (and so its WAL, unless moved) is on. Readings
        // of the machine only: one that cannot be taken is logged and left out, the run goes on.
        reading(env, "syncWrite", () -> Machine.syncTimes(target, Machine.SYNCS_MAX, Machine.SYNC_SECONDS_MAX).toMap());
        env.put("syncWriteOnPostgresFilesystem", sameFilesystem(target,
                Procs.psql("postgres", "show data_directory")));
        reading(env, "loopbackRoundTrip", () -> Machine.loopbackRoundTrips(Machine.ROUND_TRIPS_MAX,
                Machine.ROUND_TRIP_SECONDS_MAX).toMap());
        reading(env, "loopbackRoundTripOneCore", () -> Machine.loopbackRoundTrips(Machine.ROUND_TRIPS_MAX,
                Machine.ROUND_TRIP_SECONDS_MAX, new Machine.Cores(0, 0)).toMap());
        if (Runtime.getRuntime().availableProcessors() >= 2) {
            reading(env, "loopbackRoundTripTwoCores", () -> Machine.loopbackRoundTrips(Machine.ROUND_TRIPS_MAX,
                    Machine.ROUND_TRIP_SECONDS_MAX, new Machine.Cores(0, 1)).toMap());
        }
        reading(env, "cpuMitigations", () -> Machine.mitigations(Path.of("/sys/devices/system/cpu/vulnerabilities")));
        log("environment: " + env);
    }

    /** Puts what {@code read} answers under {@code key}, or logs why it could not be read and puts nothing. */
    static void reading(Map<String, Object> env, String key, Callable<Object> read) {
        try {
            env.put(key, read.call());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            log("environment: " + key + " not read: interrupted");
        } catch (Exception failure) {
            log("environment: " + key + " not read: " + failure);
        }
    }

    /** Whether both paths are on one filesystem; null when the second cannot be looked at from here. */
    static Boolean sameFilesystem(Path here, String there) {
        try {
            return Files.getFileStore(here).equals(Files.getFileStore(Path.of(there)));
        } catch (IOException | RuntimeException unknown) {
            return null;
        }
    }

    String command(List<String> cmd) {
        try {
            Procs.Outcome o = Procs.run(cmd, null, root.toFile(), 30);
            return o.ok() ? o.stdout().trim() : "unknown";
        } catch (Exception e) {
            return "unknown";
        }
    }

    void databases() throws Exception {
        for (String db : List.of(DB, PgBench.DATABASE)) {
            Procs.psql("postgres", "DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
            Procs.psql("postgres", "CREATE DATABASE " + db);
        }
    }

    // ---------------------------------------------------------------- seeding

    void seedSpread() throws Exception {
        long events = Math.max(1, options.seedEvents);
        int accounts = (int) Math.max(1, Math.min(1000, events / 1000));
        long deposits = Math.max(1, (events + accounts - 1) / accounts);
        run.seed.put("spread", seed(accounts, deposits, "seed-", options.seedSecondsMax));
    }

    void seedDeep() throws Exception {
        if (run.seedMissing != null) {
            throw new IllegalStateException("skipped: " + run.seedMissing);
        }
        run.seed.put("deep", seed(1, options.deepEvents, "deep-", options.deepSeedSecondsMax));
    }

    Map<String, Object> seed(int accounts, long deposits, String prefix, long timeoutSeconds) throws Exception {
        List<String> cmd = serviceCommand(root, options.jar, "seed",
                "--accounts=" + accounts, "--deposits=" + deposits, "--prefix=" + prefix);
        log("seed: " + String.join(" ", cmd) + " (time limit " + timeoutSeconds + " s)");
        Path logFile = target.resolve("seed-" + prefix.replace("-", "") + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile())
                .redirectError(logFile.toFile());
        pb.environment().put("LEDGER_DB_URL", DB_URL);
        // If the jar does not know "seed" it starts the web server: keep it off the bench's port.
        pb.environment().put("SERVER_PORT", Integer.toString(options.port + 1));
        long t0 = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        Procs.StreamSink out = new Procs.StreamSink(p.getInputStream());
        out.start();
        long deadline = t0 + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        try {
            while (!p.waitFor(500, TimeUnit.MILLISECONDS)) {
                String logText = Procs.tail(logFile, 200_000) + out.text();
                if (logText.contains("Tomcat started on port") && !logText.toLowerCase(Locale.ROOT).contains("seed")) {
                    run.seedMissing = "the service jar has no `seed` command yet (`java -jar " + options.jar
                            + " seed ...` started the web server instead); seeding-dependent results are not measured";
                    throw new IllegalStateException(run.seedMissing);
                }
                if (System.nanoTime() > deadline) {
                    Procs.destroy(p);
                    String written = "";
                    try {
                        // Diagnostic only (the event store's table): how far it got within the limit.
                        long events = Long.parseLong(Procs.psql(DB, "select count(*) from domain_event_entry"
                                + " where aggregate_identifier like '" + prefix + "%'"));
                        Map<String, Object> partial = new LinkedHashMap<>();
                        partial.put("finished", false);
                        partial.put("eventsWrittenWithinLimit", events);
                        partial.put("seconds", timeoutSeconds);
                        partial.put("eventsPerSecondWithinLimit", round(events / (double) timeoutSeconds, 1));
                        partial.put("requestedEvents", accounts * (deposits + 1));
                        run.seed.put(prefix.replace("-", "") + "CutShort", partial);
                        written = String.format(Locale.ROOT, " (%d of %d events written, %.0f events/s including"
                                + " start-up; the whole seed would take about %.0f min)", events, accounts * (deposits + 1),
                                events / (double) timeoutSeconds,
                                events == 0 ? Double.NaN : accounts * (deposits + 1) / (events / (double) timeoutSeconds) / 60);
                    } catch (Exception e) {
                        log("could not count the seeded events: " + e.getMessage());
                    }
                    throw new IllegalStateException("seed did not finish within its time limit of " + timeoutSeconds
                            + " s" + written + "; see " + logFile);
                }
            }
        } finally {
            if (p.isAlive()) {
                Procs.destroy(p);
            }
        }
        out.join(5000);
        double wall = (System.nanoTime() - t0) / 1e9;
        if (p.exitValue() != 0) {
            String numbers = "";
            try {
                Map<String, Object> partial = seedAnswer(out.text(), accounts, deposits);
                partial.put("exitCode", p.exitValue());
                partial.put("wallSeconds", round(wall, 1));
                run.seed.put(prefix.replace("-", "") + "Failed", partial);
                numbers = " after printing " + partial;
            } catch (IllegalStateException noAnswer) {
                // nothing to keep
            }
            throw new IllegalStateException("seed exited with " + p.exitValue() + numbers + "; see " + logFile
                    + ", which ends:\n" + Procs.tail(logFile, 1500));
        }
        Map<String, Object> result = seedAnswer(out.text(), accounts, deposits);
        result.put("exitCode", 0);
        result.put("wallSeconds", round(wall, 1));
        if (result.containsKey("mismatch")) {
            log("seed " + prefix + ": " + result.get("mismatch"));
        }
        log(String.format(Locale.ROOT, "seed %s: %s (wall %.1f s)", prefix, result, wall));
        return result;
    }

    /**
     * Reads seed's stdout: the last line that is a JSON object must carry the contract's numbers
     * {"accounts":n,"events":E,"seconds":S,"eventsPerSecond":R}. A count that differs from the request
     * is kept (under "mismatch"), not hidden.
     */
    static Map<String, Object> seedAnswer(String stdout, int accounts, long deposits) {
        String json = null;
        for (String line : stdout.split("\n")) {
            if (line.trim().startsWith("{")) {
                json = line.trim();
            }
        }
        if (json == null) {
            throw new IllegalStateException("seed printed no JSON line on stdout; got: "
                    + (stdout.length() > 500 ? stdout.substring(0, 500) : stdout));
        }
        Map<String, Object> answer;
        try {
            answer = Json.parseObject(json);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("seed's last JSON line does not parse (" + e.getMessage() + "): " + json);
        }
        for (String key : List.of("accounts", "events", "seconds", "eventsPerSecond")) {
            if (!(answer.get(key) instanceof Number)) {
                throw new IllegalStateException("seed's JSON has no number \"" + key + "\" (contract: "
                        + "{\"accounts\":n,\"events\":E,\"seconds\":S,\"eventsPerSecond\":R}): " + json);
            }
        }
        Map<String, Object> result = new LinkedHashMap<>(answer);
        result.put("requestedAccounts", accounts);
        result.put("requestedDepositsPerAccount", deposits);
        long expected = accounts * (deposits + 1);
        result.put("expectedEvents", expected);
        long events = ((Number) answer.get("events")).longValue();
        if (((Number) answer.get("accounts")).longValue() != accounts || events < accounts * deposits) {
            result.put("mismatch", "asked for " + accounts + " accounts x " + deposits
                    + " deposits (>= " + accounts * deposits + " events), seed reported " + json);
        }
        return result;
    }

    // ---------------------------------------------------------------- the service

    /** The service's JVM options, as scripts/run starts it (a java argument file), relative to the repository. */
    static final String JVM_ARGS = "scripts/jvm.args";

    /** The options in the service's argument file ({@link #JVM_ARGS}): its lines without comments and blanks. */
    static List<String> jvmOptions(Path root) throws IOException {
        return Files.readAllLines(root.resolve(JVM_ARGS)).stream()
                .map(line -> line.replaceFirst("#.*", "").strip())
                .filter(line -> !line.isEmpty())
                .toList();
    }

    /**
     * The command that starts the service's jar (or its seed) with the service's own JVM options
     * ({@link #JVM_ARGS}), so that the benchmark measures the JVM that scripts/run starts.
     */
    static List<String> serviceCommand(Path root, String jar, String... args) {
        List<String> cmd = new ArrayList<>(List.of("java", "@" + root.resolve(JVM_ARGS), "-jar", jar));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /**
     * {@code command} run in a session of its own ({@code setsid}, when the machine has it), as a
     * service started by an init system or from a terminal of its own runs; {@code command} itself
     * when there is no {@code setsid}. With the kernel's autogroup scheduling on (as it is on the
     * machines this benchmark has run on), the kernel shares the cores fairly between sessions
     * first, and only then between the threads of a session: started from the benchmark's session,
     * the service would share one session's part with the benchmark's own load generator, while
     * every PostgreSQL backend (pgbench's included) calls {@code setsid} and so has a part of its own.
     */
    static List<String> inSessionOfItsOwn(List<String> command, Path setsid) {
        if (!Files.isExecutable(setsid)) {
            return command;
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(setsid.toString());
        cmd.addAll(command);
        return cmd;
    }

    static final Path SETSID = Path.of("/usr/bin/setsid");

    void startService() throws Exception {
        Path logFile = target.resolve("service.log");
        List<String> cmd = inSessionOfItsOwn(serviceCommand(root, options.jar, "--ledger.limits.requests-per-second=1000000"),
                SETSID);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile())
                .redirectErrorStream(true).redirectOutput(logFile.toFile());
        pb.environment().put("LEDGER_DB_URL", DB_URL);
        pb.environment().put("SERVER_PORT", Integer.toString(options.port));
        service = pb.start();
        service.getOutputStream().close();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(HEALTH_WAIT_SECONDS);
        while (System.nanoTime() < deadline) {
            if (!service.isAlive()) {
                int code = service.exitValue();
                service = null;
                throw new IllegalStateException("the service exited with " + code + ":\n" + Procs.tail(logFile, 2000));
            }
            try (HttpConnection c = new HttpConnection("127.0.0.1", options.port)) {
                c.call("GET", "/actuator/health", null, null, null);
                if (c.status == 200) {
                    log("service healthy on port " + options.port + " (pid " + service.pid() + ")");
                    run.environment.put("serviceScheduling", Machine.scheduling(service.pid(), ProcessHandle.current().pid(),
                            Path.of("/proc")));
                    return;
                }
            } catch (IOException notYet) {
                // starting
            }
            Thread.sleep(500);
        }
        stopService();
        throw new IllegalStateException("the service did not answer 200 on /actuator/health within "
                + HEALTH_WAIT_SECONDS + " s");
    }

    /** The service's process id, for the CPU figures; -1 when it is not running. */
    long servicePid() {
        Process p = service;
        return p == null ? -1 : p.pid();
    }

    synchronized void stopService() {
        Process p = service;
        service = null;
        if (p != null && p.isAlive()) {
            log("stopping the service (pid " + p.pid() + ")");
            Procs.destroy(p);
        }
    }

    /**
     * A seed cut short by its time limit leaves undelivered events behind; the service's relay would
     * deliver them during the measurements, and the last load's events may still be on their way
     * when the rebuild counts the feed. Waits (bounded) until ledger_relay_backlog is 0; the first
     * reading goes into the run's environment under {@code key}.
     */
    void awaitRelayBacklog(String key) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(RELAY_BACKLOG_WAIT_SECONDS);
        double backlog = Double.NaN;
        boolean first = true;
        while (true) {
            try (HttpConnection c = connection()) {
                String text = c.call("GET", "/actuator/prometheus", ADMIN, null, null);
                backlog = Prometheus.value(text, "ledger_relay_backlog");
            }
            if (first) {
                run.environment.put(key, backlog);
                first = false;
            }
            if (Double.isNaN(backlog)) {
                throw new IllegalStateException("no ledger_relay_backlog gauge in /actuator/prometheus");
            }
            if (backlog == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("relay backlog still " + (long) backlog + " after "
                        + RELAY_BACKLOG_WAIT_SECONDS + " s: the measurements below include its delivery");
            }
            log("relay backlog: " + (long) backlog + " events");
            Thread.sleep(2000);
        }
    }

    HttpConnection connection() {
        return new HttpConnection("127.0.0.1", options.port);
    }

    List<String> spreadAccounts() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < options.spreadAccounts; i++) {
            ids.add(String.format(Locale.ROOT, "bench-a-%03d", i));
        }
        return ids;
    }

    void openAccounts() throws Exception {
        List<String> ids = new ArrayList<>(spreadAccounts());
        ids.add("bench-hot");
        ids.add("bench-shallow");
        try (HttpConnection c = connection()) {
            for (String id : ids) {
                String body = c.call("POST", "/api/v1/accounts", PAYMENTS, runTag + "-open-" + id,
                        "{\"accountId\":\"" + id + "\",\"currency\":\"EUR\"}");
                if (c.status != 201) {
                    throw new IllegalStateException("opening " + id + " answered " + c.status + ": " + body);
                }
            }
        }
    }

    // ---------------------------------------------------------------- load phases

    Load.Result ledger(String name, List<String> accounts, int connections, double warmup, double seconds,
                       boolean measureLag) throws Exception {
        Load load = new Load("127.0.0.1", options.port, PAYMENTS, runTag, options.randomKeys);
        Prometheus.Buckets[] before = new Prometheus.Buckets[1];
        WriterTimes.Snapshot[] writerBefore = new WriterTimes.Snapshot[1];
        AtomicReference<RelayCounters.Snapshot> relayBefore = new AtomicReference<>();
        double[] backlog = {Double.NaN};
        CpuMeter.Snapshot[] cpuBefore = new CpuMeter.Snapshot[1];
        WalMeter.Snapshot[] walBefore = new WalMeter.Snapshot[1];
        Load.Result r = load.run(name, accounts, connections, warmup, seconds, () -> {
            if (measureLag) {
                try {
                    String text = scrapeText();
                    backlog[0] = Prometheus.value(text, "ledger_relay_backlog");
                    before[0] = lagBuckets(text);
                    writerBefore[0] = WriterTimes.parse(text);
                    relayBefore.set(RelayCounters.parse(text));
                } catch (IOException e) {
                    log("prometheus scrape failed: " + e.getMessage());
                }
            }
            walBefore[0] = WalMeter.take();
            cpuBefore[0] = cpu.take(servicePid());
        });
        CpuMeter.Snapshot cpuAfter = cpu.take(servicePid());
        WalMeter.Snapshot walAfter = WalMeter.take();
        Map<String, Object> m = resultMap(r);
        m.put("cpu", CpuMeter.usage(cpuBefore[0], cpuAfter, r.perSecond(), false));
        m.put("waits", RunQueue.usage(cpuBefore[0] == null ? null : cpuBefore[0].waits(),
                cpuAfter == null ? null : cpuAfter.waits()));
        m.put("wal", WalMeter.usage(walBefore[0], walAfter, r.perSecond()));
        if (writerBefore[0] != null) {
            try {
                m.put("writer", WriterTimes.usage(writerBefore[0], WriterTimes.parse(scrapeText())));
            } catch (IOException e) {
                log("prometheus scrape failed: " + e.getMessage());
            }
        }
        if (!Double.isNaN(backlog[0])) {
            // Events of a cut-short seed still being relayed: they compete with the phase and their
            // lag (from their acceptance long ago) lands in the phase's histogram.
            m.put("relayBacklogAtStart", (long) backlog[0]);
        }
        if (measureLag && before[0] != null) {
            String drained = drainedScrape();
            Prometheus.Buckets after = lagBuckets(drained);
            Prometheus.Buckets diff = after.minus(before[0]);
            m.put("lagEvents", (long) diff.total());
            m.put("lagP50Millis", millis(diff.quantileUpperBound(0.50)));
            m.put("lagP99Millis", millis(diff.quantileUpperBound(0.99)));
            m.put("lagMeanMillis", diff.count() > 0 ? round(diff.sum() / diff.count() * 1000, 2) : null);
            m.put("lagBuckets", diff.cumulative().entrySet().stream().map(e -> List.of(
                    e.getKey().isInfinite() ? "+Inf" : e.getKey().toString(), e.getValue().longValue())).toList());
            // From the drained scrape: the phase's events have all been through the relay by then.
            m.put("relay", RelayCounters.usage(relayBefore.get(), RelayCounters.parse(drained)));
        }
        Map<?, ?> relay = m.get("relay") instanceof Map<?, ?> found ? found : Map.of();
        run.ledgerPhases.add(m);
        log(String.format(Locale.ROOT, "ledger %s c=%d: %.0f deposits/s, p50 %.2f ms, p99 %.2f ms, errors %d%s",
                name, connections, r.perSecond(), r.p50Millis(), r.p99Millis(), r.errors(),
                (m.containsKey("lagP99Millis") ? ", lag p50 <= " + m.get("lagP50Millis") + " ms, p99 <= "
                        + m.get("lagP99Millis") + " ms" : "")
                        + (backlog[0] > 0 ? " (relay backlog at start: " + (long) backlog[0] + " events)" : "")
                        + (relay.get("rounds") != null ? ", relay rounds " + relay.get("rounds") + " (over 50 ms: "
                                + relay.get("rounds_over_50ms") + ", slowest <= " + relay.get("round_max_le_ms") + " ms)"
                                : "")));
        if (!r.errorSamples().isEmpty()) {
            log("first errors: " + r.errorSamples());
        }
        run.errors += r.errors();
        for (String s : r.errorSamples()) {
            if (run.errorSamples.size() < 10) {
                run.errorSamples.add(name + ": " + s);
            }
        }
        return r;
    }

    /**
     * The unmeasured load before the first phase, with /actuator/prometheus scraped every
     * {@link #WARM_UP_SCRAPE_SECONDS} meanwhile, as a Prometheus server would. Every measured phase
     * scrapes it; without scrapes here, the first of them made the JIT throw away and recompile
     * the compiled request path (its type profiles had only seen deposits) inside the first
     * measured phase.
     *
     * <p>It runs in slices of {@link #WARM_UP_SLICE_SECONDS}: at least {@code --first-warmup-seconds},
     * then on while the service's JIT compiler threads used more than {@link #JIT_SETTLED_CORES} of a
     * core in the last slice, up to {@code --first-warmup-seconds-max}. The JIT's work is fixed, not
     * its duration: at a lower rate (a slow hour) it compiles for longer, and a fixed minute of
     * warm-up left it compiling into the first measured phase, on two cores that the phase needs.
     */
    void warmUp() throws Exception {
        ScheduledExecutorService scraper = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "warm-up-scraper");
            thread.setDaemon(true);
            return thread;
        });
        AtomicInteger scrapes = new AtomicInteger();
        scraper.scheduleWithFixedDelay(() -> {
            try {
                scrapeText();
                scrapes.incrementAndGet();
            } catch (IOException e) {
                log("warm-up scrape failed: " + e.getMessage());
            }
        }, WARM_UP_SCRAPE_SECONDS, WARM_UP_SCRAPE_SECONDS, TimeUnit.SECONDS);
        int seconds = 0;
        double jit = Double.NaN;
        try {
            while (keepWarmingUp(seconds, jit, options)) {
                int slice = seconds < options.firstWarmupSeconds
                        ? Math.min(WARM_UP_SLICE_SECONDS, options.firstWarmupSeconds - seconds) : WARM_UP_SLICE_SECONDS;
                ledger("warm-up-" + (seconds + slice) + "s", spreadAccounts(), options.connections, 0, slice, false);
                seconds += slice;
                jit = lastPhaseJitCores();
                log(String.format(Locale.ROOT, "warm-up: after %d s, the service's JIT compiler threads used %.3f"
                        + " cores in the last %d s", seconds, jit, slice));
            }
        } finally {
            scraper.shutdownNow();
            scraper.awaitTermination(10, TimeUnit.SECONDS);
        }
        run.warmUpScrapes = scrapes.get();
        run.warmUpSeconds = seconds;
        run.warmUpLastJitCores = jit;
        log(String.format(Locale.ROOT, "warm-up: %d s, the JIT's last slice %.3f cores (%s); /actuator/prometheus"
                        + " scraped %d times", seconds, jit,
                Double.isNaN(jit) ? "not measured" : jit > JIT_SETTLED_CORES ? "not settled" : "settled",
                scrapes.get()));
    }

    /** The warm-up's slices: 10 s each, short enough to stop soon after the JIT does. */
    static final int WARM_UP_SLICE_SECONDS = 10;

    /** The JIT counts as settled once its compiler threads used at most this share of a core over a slice. */
    static final double JIT_SETTLED_CORES = 0.05;

    /**
     * Whether the warm-up goes on after {@code seconds} of it, the last slice's JIT compiler threads
     * having used {@code jitCores}: until the minimum; then while the JIT has not settled and
     * another slice fits under the maximum. Where the JIT's threads cannot be read ({@code jitCores}
     * NaN: no /proc), the minimum only, as before there was a maximum; the report says so.
     */
    static boolean keepWarmingUp(int seconds, double jitCores, Options options) {
        if (seconds < options.firstWarmupSeconds) {
            return true;
        }
        return jitCores > JIT_SETTLED_CORES && seconds + WARM_UP_SLICE_SECONDS <= options.firstWarmupSecondsMax;
    }

    /** The cores the service's JIT compiler threads used in the last ledger phase; NaN if not measured. */
    private double lastPhaseJitCores() {
        Map<String, Object> last = run.ledgerPhases.get(run.ledgerPhases.size() - 1);
        return last.get("cpu") instanceof Map<?, ?> cpu && cpu.get("serviceJitCores") instanceof Number n
                ? n.doubleValue() : Double.NaN;
    }

    static Object millis(double seconds) {
        if (Double.isNaN(seconds)) {
            return null;
        }
        if (Double.isInfinite(seconds)) {
            return "+Inf";
        }
        return round(seconds * 1000, 3);
    }

    Map<String, Object> resultMap(Load.Result r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", r.name());
        m.put("connections", r.connections());
        m.put("seconds", r.seconds());
        m.put("requests", r.requests());
        m.put("perSecond", round(r.perSecond(), 1));
        m.put("p50Millis", round(r.p50Millis(), 3));
        m.put("p99Millis", round(r.p99Millis(), 3));
        m.put("meanMillis", round(r.meanMillis(), 3));
        m.put("maxMillis", round(r.latency().max() / 1e6, 3));
        m.put("errors", r.errors());
        m.put("errorSamples", r.errorSamples());
        m.put("reconnects", r.reconnects());
        // Requests that had to open a connection first: how much of the tail the reconnects are.
        Histogram fresh = r.afterReconnect();
        m.put("afterReconnectRequests", fresh.count());
        if (fresh.count() > 0) {
            m.put("afterReconnectP50Millis", round(fresh.quantile(0.50) / 1e6, 3));
            m.put("afterReconnectP99Millis", round(fresh.quantile(0.99) / 1e6, 3));
        }
        return m;
    }

    String scrapeText() throws IOException {
        try (HttpConnection c = connection()) {
            String text = c.call("GET", "/actuator/prometheus", ADMIN, null, null);
            if (c.status != 200) {
                throw new IOException("/actuator/prometheus answered " + c.status);
            }
            return text;
        }
    }

    static Prometheus.Buckets lagBuckets(String text) throws IOException {
        Prometheus.Buckets b = Prometheus.parse(text, LAG_METRIC);
        if (b.isEmpty()) {
            throw new IOException("no " + LAG_METRIC + "_bucket series in /actuator/prometheus");
        }
        return b;
    }

    /**
     * Scrapes until the lag histogram's _count stops moving (two equal scrapes 300 ms apart), at most
     * 10 s; returns the last scrape, whose other series (the relay's counters) are then drained too.
     */
    String drainedScrape() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_WAIT_MILLIS);
        String last = scrapeText();
        double lastCount = lagBuckets(last).count();
        while (System.nanoTime() < deadline) {
            Thread.sleep(300);
            String next = scrapeText();
            double nextCount = lagBuckets(next).count();
            if (nextCount == lastCount) {
                return next;
            }
            last = next;
            lastCount = nextCount;
        }
        log("read-model lag: _count still moving after " + DRAIN_WAIT_MILLIS + " ms; using the last scrape");
        return last;
    }

    PgBench.Result pgbench(String name, int clients, int seconds) throws Exception {
        WalMeter.Snapshot walBefore = WalMeter.take();
        CpuMeter.Snapshot cpuBefore = cpu.take(servicePid());
        PgBench.Result r = PgBench.run(clients, seconds, target.resolve("pgbench-logs"));
        CpuMeter.Snapshot cpuAfter = cpu.take(servicePid());
        WalMeter.Snapshot walAfter = WalMeter.take();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("clients", clients);
        m.put("seconds", seconds);
        m.put("tps", round(r.tps(), 1));
        m.put("latencyAverageMillis", r.latencyAverageMillis());
        // From the transactions pgbench logged (a sample): the same percentiles as the ledger's.
        m.put("sampledTransactions", r.sampled().count());
        if (r.sampled().count() > 0) {
            m.put("p50Millis", round(r.sampled().quantile(0.50) / 1e6, 3));
            m.put("p99Millis", round(r.sampled().quantile(0.99) / 1e6, 3));
        }
        m.put("transactions", r.transactions());
        m.put("failed", r.failed());
        m.put("cpu", CpuMeter.usage(cpuBefore, cpuAfter, r.tps(), true));
        m.put("wal", WalMeter.usage(walBefore, walAfter, r.tps()));
        run.pgbenchPhases.add(m);
        log(String.format(Locale.ROOT, "pgbench %s c=%d: %.0f tps, latency average %.3f ms, p50 %.2f ms, p99 %.2f ms"
                        + " (%d sampled)", name, clients, r.tps(), r.latencyAverageMillis(),
                r.sampled().quantile(0.50) / 1e6, r.sampled().quantile(0.99) / 1e6, r.sampled().count()));
        return r;
    }

    void abRounds() throws Exception {
        int c = options.connections;
        for (int round = 1; round <= options.rounds; round++) {
            PgBench.Result pg = pgbench("ab-" + round, c, options.phaseSeconds);
            Load.Result spread = ledger("ab-spread-" + round, spreadAccounts(), c, options.warmupSeconds,
                    options.phaseSeconds, true);
            Load.Result hot = ledger("ab-hot-" + round, List.of("bench-hot"), c, options.warmupSeconds,
                    options.phaseSeconds, true);
            run.pgbenchTps.add(pg.tps());
            run.spread.add(spread);
            run.hot.add(hot);
        }
    }

    void sweep() throws Exception {
        for (int c : options.sweepClients) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("clients", c);
            try {
                row.put("pgbenchTps", round(pgbench("sweep", c, options.sweepSeconds).tps(), 1));
            } catch (Exception e) {
                row.put("pgbenchError", e.getMessage());
            }
            Load.Result r = ledger("sweep-" + c, spreadAccounts(), c, options.warmupSeconds, options.sweepSeconds,
                    false);
            row.put("ledgerPerSecond", round(r.perSecond(), 1));
            row.put("ledgerP50Millis", round(r.p50Millis(), 3));
            row.put("ledgerP99Millis", round(r.p99Millis(), 3));
            row.put("ledgerErrors", r.errors());
            run.sweep.add(row);
        }
    }

    void deepVsShallow() throws Exception {
        Load load = new Load("127.0.0.1", options.port, PAYMENTS, runTag, options.randomKeys);
        List<String> samples = new ArrayList<>();
        Histogram shallow = new Histogram();
        Histogram deep = new Histogram();
        long errors;
        try (HttpConnection c = connection()) {
            errors = load.sequential(c, "bench-shallow", 9, new Histogram(), samples, Long.MAX_VALUE);
            long partialDeep = run.seed.get("deepCutShort") instanceof Map<?, ?> cut
                    && cut.get("eventsWrittenWithinLimit") instanceof Number n ? n.longValue() : 0;
            if (run.seedMissing != null || (!run.seed.containsKey("deep") && partialDeep == 0)) {
                run.deep.put("measured", false);
                run.deep.put("reason", run.seedMissing != null ? run.seedMissing : "the deep account was not seeded");
                throw new IllegalStateException("not measured: deep-000001 was not seeded");
            }
            if (!run.seed.containsKey("deep")) {
                log("deep vs shallow: deep-000001 holds only the " + partialDeep + " events its cut-short seed wrote");
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.deepLatencySecondsMax);
            int blocks = 0;
            for (int b = 0; b < options.deepBlocks; b++) {
                errors += load.sequential(c, "bench-shallow", options.deepBlockSize, shallow, samples, deadline);
                errors += load.sequential(c, "deep-000001", options.deepBlockSize, deep, samples, deadline);
                blocks++;
                if (System.nanoTime() > deadline) {
                    log("deep vs shallow: time limit of " + options.deepLatencySecondsMax + " s reached after "
                            + blocks + " block(s)");
                    run.deep.put("stoppedEarly", "time limit of " + options.deepLatencySecondsMax + " s reached after "
                            + blocks + " of " + options.deepBlocks + " blocks");
                    break;
                }
            }
        }
        run.errors += errors;
        run.deep.put("measured", true);
        run.deep.put("shallowEventsBefore", 10);
        Object seeded = run.seed.get("deep") instanceof Map<?, ?> d ? d.get("events")
                : run.seed.get("deepCutShort") instanceof Map<?, ?> cut ? cut.get("eventsWrittenWithinLimit") : null;
        run.deep.put("deepEventsBefore", seeded instanceof Number n ? n.longValue() : options.deepEvents + 1L);
        run.deep.put("shallowRequests", shallow.count());
        run.deep.put("deepRequests", deep.count());
        run.deep.put("shallowP50Millis", round(shallow.quantile(0.5) / 1e6, 3));
        run.deep.put("shallowP99Millis", round(shallow.quantile(0.99) / 1e6, 3));
        run.deep.put("deepP50Millis", round(deep.quantile(0.5) / 1e6, 3));
        run.deep.put("deepP99Millis", round(deep.quantile(0.99) / 1e6, 3));
        run.deep.put("ratioP50", round((double) deep.quantile(0.5) / Math.max(1, shallow.quantile(0.5)), 3));
        run.deep.put("ratioP99", round((double) deep.quantile(0.99) / Math.max(1, shallow.quantile(0.99)), 3));
        run.deep.put("errors", errors);
        run.deep.put("errorSamples", samples);
        log("deep vs shallow: " + run.deep);
    }

    void rebuild(Map<String, Object> into) throws Exception {
        long t0;
        Map<String, Object> status;
        try (HttpConnection c = connection()) {
            t0 = System.nanoTime();
            String body = c.call("POST", "/api/v1/admin/read-models/rebuild", ADMIN, null, null);
            if (c.status != 202) {
                throw new IllegalStateException("POST rebuild answered " + c.status + ": " + body);
            }
            long budgetLeft = started + TimeUnit.SECONDS.toNanos(options.budgetSeconds) - t0;
            long waitMax = Math.max(TimeUnit.SECONDS.toNanos(10), Math.min(TimeUnit.SECONDS.toNanos(REBUILD_WAIT_SECONDS),
                    budgetLeft));
            long deadline = t0 + waitMax;
            long lastLog = t0;
            while (true) {
                Thread.sleep(250);
                String text = c.call("GET", "/api/v1/admin/read-models/rebuild", ADMIN, null, null);
                if (c.status != 200) {
                    throw new IllegalStateException("GET rebuild answered " + c.status + ": " + text);
                }
                status = Json.parseObject(text);
                Object state = status.get("state");
                if ("SUCCEEDED".equals(state) || "FAILED".equals(state)) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    into.putAll(status);
                    into.put("finished", false);
                    into.put("wallSeconds", round((System.nanoTime() - t0) / 1e9, 2));
                    throw new IllegalStateException("rebuild not finished within " + waitMax / 1_000_000_000L
                            + " s (the wait is bounded by 600 s and by --budget-seconds): " + text);
                }
                if (System.nanoTime() - lastLog > 5_000_000_000L) {
                    log("rebuild: " + text);
                    lastLog = System.nanoTime();
                }
            }
        }
        double wall = (System.nanoTime() - t0) / 1e9;
        into.putAll(status);
        into.put("finished", true);
        into.put("wallSeconds", round(wall, 2));
        Object total = status.get("totalEvents");
        if (total instanceof Number n) {
            into.put("wallEventsPerSecond", round(n.doubleValue() / wall, 0));
        }
        log("rebuild: " + into);
        if (!"SUCCEEDED".equals(status.get("state"))) {
            throw new IllegalStateException("rebuild " + status.get("state") + ": " + status.get("error"));
        }
    }

    // ---------------------------------------------------------------- output

    void finish() {
        run.totalSeconds = round((System.nanoTime() - started) / 1e9, 1);
        try {
            Files.writeString(target.resolve("results.json"), Json.write(run.toMap()), StandardCharsets.UTF_8);
            log("wrote " + target.resolve("results.json"));
            String table = Report.summaryTable(run);
            System.out.println(table);
            if (options.writeDocs) {
                Path doc = root.resolve("docs/performance.md");
                String existing = Files.exists(doc) ? Files.readString(doc, StandardCharsets.UTF_8) : null;
                Files.createDirectories(doc.getParent());
                Files.writeString(doc, Report.merge(existing, Report.generated(run)), StandardCharsets.UTF_8);
                Chart.write(run.sweep, root.resolve("docs/performance-throughput.png").toFile());
                log("wrote " + doc + " and docs/performance-throughput.png");
            }
        } catch (Exception e) {
            log("writing results failed: " + e);
            run.fatal = "writing results failed: " + e;
        }
        log(String.format(Locale.ROOT, "done in %.0f s", run.totalSeconds));
    }

    static double round(double v, int digits) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v;
        }
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    static void log(String message) {
        System.err.println("[bench " + Instant.now().toString().substring(11, 19) + "] " + message);
    }

    static File file(String path) {
        return new File(path);
    }
}
