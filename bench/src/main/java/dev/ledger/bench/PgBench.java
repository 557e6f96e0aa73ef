package dev.ledger.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs pgbench (tpcb-like, prepared) and reads its summary. */
public final class PgBench {

    public static final String DATABASE = "ledger_bench_pgbench";

    private static final Pattern TPS = Pattern.compile(
            "^tps = ([0-9.]+) \\(without initial connection time\\)", Pattern.MULTILINE);
    private static final Pattern LATENCY = Pattern.compile("^latency average = ([0-9.]+) ms", Pattern.MULTILINE);
    private static final Pattern PROCESSED = Pattern.compile(
            "^number of transactions actually processed: ([0-9]+)", Pattern.MULTILINE);
    private static final Pattern FAILED = Pattern.compile("^number of failed transactions: ([0-9]+)", Pattern.MULTILINE);

    private PgBench() {
    }

    public record Result(int clients, double seconds, double tps, double latencyAverageMillis,
                         long transactions, long failed) {
    }

    public static Result parse(String output, int clients, double seconds) {
        Matcher tps = TPS.matcher(output);
        if (!tps.find()) {
            throw new IllegalArgumentException("no \"tps = ... (without initial connection time)\" in pgbench output:\n"
                    + output);
        }
        Matcher lat = LATENCY.matcher(output);
        Matcher processed = PROCESSED.matcher(output);
        Matcher failed = FAILED.matcher(output);
        return new Result(clients, seconds, Double.parseDouble(tps.group(1)),
                lat.find() ? Double.parseDouble(lat.group(1)) : Double.NaN,
                processed.find() ? Long.parseLong(processed.group(1)) : -1,
                failed.find() ? Long.parseLong(failed.group(1)) : 0);
    }

    public static void init(int scale) throws IOException, InterruptedException {
        Procs.Outcome o = Procs.run(List.of("pgbench", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres",
                "-i", "-s", Integer.toString(scale), "-q", DATABASE), null, null, 600);
        if (!o.ok()) {
            throw new IOException("pgbench -i failed: " + o.stderr() + o.stdout());
        }
    }

    public static Result run(int clients, int seconds) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("pgbench", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres",
                "-b", "tpcb-like", "-M", "prepared", "-c", Integer.toString(clients),
                "-j", Integer.toString(Math.min(clients, 2)), "-T", Integer.toString(seconds),
                DATABASE));
        Procs.Outcome o = Procs.run(cmd, null, null, seconds + 120L);
        if (!o.ok()) {
            throw new IOException("pgbench failed (exit " + o.exitCode() + (o.timedOut() ? ", timed out" : "")
                    + "): " + o.stderr() + o.stdout());
        }
        return parse(o.stdout(), clients, seconds);
    }
}
