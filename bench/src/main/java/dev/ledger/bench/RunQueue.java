package dev.ledger.bench;

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
 * <p>{@link CpuMeter} reads them in its pass over /proc. For ledger phases only: a backend that
 * exits during the window (pgbench's) takes its counters with it. Where the counters cannot be read
 * (not Linux, a kernel without schedstats), nothing.
 */
final class RunQueue {

    /** The service's writer threads' names ({@code ledger-writer-0}, ...), as /proc shows them. */
    static final String WRITER_PREFIX = "ledger-writer";

    private RunQueue() {
    }

    /** Nanoseconds waited on run queues, and the writer threads' nanoseconds on a core and waited. */
    record Snapshot(long nanos, long postgresWait, long serviceWait, long writerRun, long writerWait,
                    int writers) {
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
