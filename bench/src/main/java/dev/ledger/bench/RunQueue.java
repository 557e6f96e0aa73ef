package dev.ledger.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How long a ledger phase's work waited for a core, from Linux's scheduler statistics
 * ({@code /proc/PID/schedstat} and, per thread, {@code /proc/PID/task/TID/schedstat}: nanoseconds
 * on a core, nanoseconds runnable on a run queue, time slices): PostgreSQL's processes, the
 * service's threads, and the service's writer threads apart. A deposit's group passes from the
 * writer thread to its server process and back; each time either is woken on a machine whose two
 * cores are taken, it waits, and the group with it.
 *
 * <p>For ledger phases only: a backend that exits during the window (pgbench's) takes its counters
 * with it. Where the counters cannot be read (not Linux, a kernel without schedstats), nothing.
 */
final class RunQueue {

    /** The service's writer threads' names ({@code ledger-writer-0}, ...), as /proc shows them. */
    static final String WRITER_PREFIX = "ledger-writer";

    private final Path proc;

    RunQueue(Path proc) {
        this.proc = proc;
    }

    static RunQueue system() {
        return new RunQueue(Path.of("/proc"));
    }

    /** Nanoseconds waited on run queues, and the writer threads' nanoseconds on a core and waited. */
    record Snapshot(long nanos, long postgresWait, long serviceWait, long writerRun, long writerWait,
                    int writers) {
    }

    /** Counters now; null when they cannot be read. */
    Snapshot take(long servicePid) {
        try {
            long postgresWait = 0;
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc)) {
                for (Path entry : entries) {
                    if (!entry.getFileName().toString().chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    try {
                        if (Files.readString(entry.resolve("comm")).startsWith("postgres")) {
                            postgresWait += parse(Files.readString(entry.resolve("schedstat")))[1];
                        }
                    } catch (IOException | RuntimeException gone) {
                        // exited meanwhile
                    }
                }
            }
            long serviceWait = 0;
            long writerRun = 0;
            long writerWait = 0;
            int writers = 0;
            try (DirectoryStream<Path> threads = Files.newDirectoryStream(proc.resolve(Long.toString(servicePid))
                    .resolve("task"))) {
                for (Path thread : threads) {
                    try {
                        long[] stat = parse(Files.readString(thread.resolve("schedstat")));
                        serviceWait += stat[1];
                        if (Files.readString(thread.resolve("comm")).startsWith(WRITER_PREFIX)) {
                            writerRun += stat[0];
                            writerWait += stat[1];
                            writers++;
                        }
                    } catch (IOException | RuntimeException gone) {
                        // a thread that ended meanwhile
                    }
                }
            }
            return new Snapshot(System.nanoTime(), postgresWait, serviceWait, writerRun, writerWait, writers);
        } catch (IOException | RuntimeException unreadable) {
            return null;
        }
    }

    /**
     * Cores spent waiting for a core (PostgreSQL's processes, the service's threads) and the share
     * of the window the writer threads were on a core and waiting for one (per writer thread);
     * empty when either snapshot is missing.
     */
    static Map<String, Object> usage(Snapshot before, Snapshot after) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (before == null || after == null || after.nanos() <= before.nanos()) {
            return m;
        }
        double window = after.nanos() - before.nanos();
        m.put("postgresWaitCores", Bench.round((after.postgresWait() - before.postgresWait()) / window, 2));
        m.put("serviceWaitCores", Bench.round((after.serviceWait() - before.serviceWait()) / window, 2));
        if (after.writers() > 0 && after.writers() == before.writers()) {
            m.put("writerRunShare", Bench.round((after.writerRun() - before.writerRun()) / window / after.writers(), 2));
            m.put("writerWaitShare", Bench.round((after.writerWait() - before.writerWait()) / window / after.writers(), 2));
        }
        return m;
    }

    /** The three numbers of a schedstat line: nanoseconds on a core, nanoseconds waiting, slices. */
    static long[] parse(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 3) {
            throw new IllegalArgumentException("not a schedstat line: " + line);
        }
        return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])};
    }
}
