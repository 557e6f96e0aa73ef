package dev.ledger.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

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

    /**
     * The share of transactions whose latency pgbench logs (`--log --sampling-rate`): enough for a
     * p99 from thousands of samples, little enough that writing them costs pgbench nothing visible.
     */
    public static final double LOG_SAMPLING_RATE = 0.1;

    /** pgbench's log files are this, a dot, its process id (and a dot and a thread number). */
    private static final String LOG_PREFIX = "pgbench-log";

    /**
     * @param sampled latencies of the transactions pgbench logged (a {@link #LOG_SAMPLING_RATE}
     *                sample), in nanoseconds; empty when it logged none
     */
    public record Result(int clients, double seconds, double tps, double latencyAverageMillis,
                         long transactions, long failed, Histogram sampled) {
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
                failed.find() ? Long.parseLong(failed.group(1)) : 0, new Histogram());
    }

    /**
     * Adds the latencies of a pgbench transaction log (one line per logged transaction: client id,
     * transaction number, its latency in microseconds, then more fields) to {@code into}; a line
     * that is not such a line is skipped.
     */
    static void readLog(BufferedReader log, Histogram into) throws IOException {
        for (String line = log.readLine(); line != null; line = log.readLine()) {
            String[] fields = line.trim().split(" ");
            if (fields.length < 3) {
                continue;
            }
            try {
                long micros = Long.parseLong(fields[2]);
                if (micros >= 0) {
                    into.record(micros * 1_000);
                }
            } catch (NumberFormatException notALatency) {
                // a failed transaction's line ("failed") or something else: not a latency
            }
        }
    }

    public static void init(int scale) throws IOException, InterruptedException {
        Procs.Outcome o = Procs.run(List.of("pgbench", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres",
                "-i", "-s", Integer.toString(scale), "-q", DATABASE), null, null, 600);
        if (!o.ok()) {
            throw new IOException("pgbench -i failed: " + o.stderr() + o.stdout());
        }
    }

    /**
     * Runs pgbench; with {@code logDirectory}, pgbench logs a sample of its transactions' latencies
     * there (its files are read into {@link Result#sampled} and then deleted).
     */
    public static Result run(int clients, int seconds, Path logDirectory) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("pgbench", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres",
                "-b", "tpcb-like", "-M", "prepared", "-c", Integer.toString(clients),
                "-j", Integer.toString(Math.min(clients, 2)), "-T", Integer.toString(seconds)));
        if (logDirectory != null) {
            Files.createDirectories(logDirectory);
            deleteLogs(logDirectory);
            cmd.addAll(List.of("--log", "--sampling-rate=" + LOG_SAMPLING_RATE,
                    "--log-prefix=" + logDirectory.resolve(LOG_PREFIX)));
        }
        cmd.add(DATABASE);
        Procs.Outcome o = Procs.run(cmd, null, logDirectory == null ? null : logDirectory.toFile(), seconds + 120L);
        if (!o.ok()) {
            throw new IOException("pgbench failed (exit " + o.exitCode() + (o.timedOut() ? ", timed out" : "")
                    + "): " + o.stderr() + o.stdout());
        }
        Result r = parse(o.stdout(), clients, seconds);
        if (logDirectory != null) {
            try (Stream<Path> logs = Files.list(logDirectory)) {
                for (Path log : logs.filter(PgBench::isLog).toList()) {
                    try (BufferedReader reader = Files.newBufferedReader(log)) {
                        readLog(reader, r.sampled());
                    }
                }
            }
            deleteLogs(logDirectory);
        }
        return r;
    }

    private static boolean isLog(Path file) {
        return file.getFileName().toString().startsWith(LOG_PREFIX + ".");
    }

    private static void deleteLogs(Path directory) throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(PgBench::isLog).toList()) {
                Files.deleteIfExists(file);
            }
        }
    }
}
