package dev.ledger.bench;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where the machine's CPU goes during a phase, from Linux's /proc: the cores PostgreSQL, the
 * service, the load generator (this JVM's own threads, or pgbench, which runs as its child) and
 * everything else used, and how busy the machine was. Divided by the phase's operations it gives
 * the CPU each deposit or pgbench transaction cost, which is what two shared cores run out of.
 *
 * <p>PostgreSQL's figure includes backends that exited during the phase (pgbench's): an exited
 * backend's time moves into the postmaster's children's time, which is counted too. pgbench's
 * figure is this JVM's children's time (pgbench is waited for, so its time lands there when it
 * exits). Where /proc cannot be read (not Linux), every figure is absent.
 */
final class CpuMeter {

    /** Clock ticks per second of /proc's counters; 100 on every Linux this runs on. */
    static final double TICKS_PER_SECOND = 100;

    private final Path proc;

    CpuMeter(Path proc) {
        this.proc = proc;
    }

    static CpuMeter system() {
        return new CpuMeter(Path.of("/proc"));
    }

    /**
     * Counters at one moment, in clock ticks; {@code jit} is the service's JIT compiler threads'
     * (part of {@code service}), -1 where they cannot be read; {@code machineSteal} the host's steal
     * (in {@code machineTotal}, not in {@code machineBusy}).
     */
    record Snapshot(long nanos, long machineBusy, long machineTotal, long postgres, long service, long jit,
                    long self, long children, RunQueue.Snapshot waits, long machineSteal) {
    }

    /**
     * The names HotSpot gives its JIT compiler threads ({@code C2 CompilerThread0}, {@code C1
     * CompilerThread0}, ...), as /proc shows them (cut to 15 characters).
     */
    static boolean isJitCompiler(String threadName) {
        return threadName.startsWith("C1 CompilerThre") || threadName.startsWith("C2 CompilerThre");
    }

    /**
     * Counters now; null when /proc is not there or not readable. In the same pass over /proc, the
     * scheduler's counters of PostgreSQL's processes and the service's threads ({@link RunQueue});
     * those null where the service's threads have none.
     */
    Snapshot take(long servicePid) {
        try {
            long[] machine = machine(Files.readString(proc.resolve("stat")));
            Map<Long, Stat> postgres = new HashMap<>();
            long service = 0;
            Threads threads = null;
            long postgresWait = 0;
            long self = 0;
            long children = 0;
            long selfPid = ProcessHandle.current().pid();
            try (DirectoryStream<Path> entries = Files.newDirectoryStream(proc)) {
                for (Path entry : entries) {
                    String name = entry.getFileName().toString();
                    if (!name.chars().allMatch(Character::isDigit)) {
                        continue;
                    }
                    Stat stat;
                    try {
                        stat = Stat.parse(Files.readString(entry.resolve("stat")));
                    } catch (IOException | RuntimeException gone) {
                        continue; // exited meanwhile
                    }
                    long pid = Long.parseLong(name);
                    if (stat.comm().startsWith("postgres")) {
                        postgres.put(pid, stat);
                        postgresWait += waited(entry);
                    }
                    if (pid == servicePid) {
                        service = stat.own();
                        threads = Threads.of(entry.resolve("task"));
                    }
                    if (pid == selfPid) {
                        self = stat.own();
                        children = stat.children();
                    }
                }
            }
            long pg = 0;
            for (Stat stat : postgres.values()) {
                pg += stat.own();
                if (!postgres.containsKey(stat.parent())) {
                    pg += stat.children(); // the postmaster: its exited backends
                }
            }
            long nanos = System.nanoTime();
            RunQueue.Snapshot waits = threads == null || threads.schedstats == 0 ? null
                    : new RunQueue.Snapshot(nanos, postgresWait, threads.wait, threads.writerRun, threads.writerWait,
                            threads.writers);
            return new Snapshot(nanos, machine[0], machine[1], pg, service, threads == null ? -1 : threads.jit, self,
                    children, waits, machine[2]);
        } catch (IOException | RuntimeException unreadable) {
            return null;
        }
    }

    /** A process's nanoseconds runnable on a run queue (its schedstat); 0 where it cannot be read. */
    private static long waited(Path process) {
        try {
            return RunQueue.parse(Files.readString(process.resolve("schedstat")))[1];
        } catch (IOException | RuntimeException gone) {
            return 0; // exited meanwhile, or no schedstat
        }
    }

    /**
     * The service's threads in one pass: its JIT compiler threads' ticks (part of the process's own;
     * -1 if its threads cannot be read), and from their schedstat lines, where there are any, all
     * threads' waits for a core and the writer threads' time on a core and waiting.
     */
    private static final class Threads {
        long jit = -1;
        long wait;
        long writerRun;
        long writerWait;
        int writers;
        int schedstats;

        static Threads of(Path tasks) {
            Threads t = new Threads();
            long ticks = 0;
            try (DirectoryStream<Path> threads = Files.newDirectoryStream(tasks)) {
                for (Path thread : threads) {
                    Stat stat;
                    try {
                        stat = Stat.parse(Files.readString(thread.resolve("stat")));
                    } catch (IOException | RuntimeException gone) {
                        continue; // a thread that ended meanwhile
                    }
                    if (isJitCompiler(stat.comm())) {
                        ticks += stat.own();
                    }
                    long[] sched;
                    try {
                        sched = RunQueue.parse(Files.readString(thread.resolve("schedstat")));
                    } catch (IOException | RuntimeException none) {
                        continue;
                    }
                    t.schedstats++;
                    t.wait += sched[1];
                    if (stat.comm().startsWith(RunQueue.WRITER_PREFIX)) {
                        t.writerRun += sched[0];
                        t.writerWait += sched[1];
                        t.writers++;
                    }
                }
            } catch (IOException unreadable) {
                return t;
            }
            t.jit = ticks;
            return t;
        }
    }

    /**
     * The cores each part used between two snapshots, and per operation (at the phase's rate) in
     * milliseconds of CPU; empty when either snapshot is missing. {@code pgbenchPhase} says whose load it was: the
     * children's time is pgbench's, this JVM's own is the ledger's load generator.
     */
    static Map<String, Object> usage(Snapshot before, Snapshot after, double operationsPerSecond, boolean pgbenchPhase) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (before == null || after == null || after.nanos() <= before.nanos()) {
            return m;
        }
        double seconds = (after.nanos() - before.nanos()) / 1e9;
        double busyCores = cores(after.machineBusy() - before.machineBusy(), seconds);
        double allCores = cores(after.machineTotal() - before.machineTotal(), seconds);
        double stealCores = cores(after.machineSteal() - before.machineSteal(), seconds);
        double postgres = cores(after.postgres() - before.postgres(), seconds);
        // Idle in a pgbench phase, unless something of its own (the JIT, a collection, a maintenance
        // pass's statements, counted under PostgreSQL) runs then: shown, so that it is seen.
        double service = cores(after.service() - before.service(), seconds);
        double load = pgbenchPhase ? cores(after.children() - before.children(), seconds)
                : cores(after.self() - before.self(), seconds);
        double other = Math.max(0, busyCores - postgres - service - load);
        m.put("seconds", Bench.round(seconds, 2));
        m.put("machineCores", Bench.round(allCores, 2));
        m.put("machineBusyCores", Bench.round(busyCores, 2));
        // The host's: time this machine's cores were ready to run but the hypervisor ran something
        // else. Neither busy (no work of this machine's was done) nor idle; part of machineCores.
        m.put("stealCores", Bench.round(stealCores, 2));
        m.put("postgresCores", Bench.round(postgres, 2));
        m.put("serviceCores", Bench.round(service, 2));
        if (before.jit() >= 0 && after.jit() >= 0) {
            // Of which the service's JIT compiler threads: still compiling means not warm yet.
            m.put("serviceJitCores", Bench.round(cores(after.jit() - before.jit(), seconds), 3));
        }
        m.put("loadGeneratorCores", Bench.round(load, 2));
        m.put("otherCores", Bench.round(other, 2));
        if (operationsPerSecond > 0) {
            double perOp = 1000.0 / operationsPerSecond;
            m.put("postgresMillisPerOp", Bench.round(postgres * perOp, 3));
            if (!pgbenchPhase) {
                m.put("serviceMillisPerOp", Bench.round(service * perOp, 3));
            }
            m.put("loadGeneratorMillisPerOp", Bench.round(load * perOp, 3));
            m.put("machineBusyMillisPerOp", Bench.round(busyCores * perOp, 3));
        }
        return m;
    }

    /** Cores used: ticks over the window's length. */
    private static double cores(double ticks, double seconds) {
        return ticks / TICKS_PER_SECOND / seconds;
    }

    /**
     * Busy, total and stolen ticks of all CPUs from /proc/stat's first line. Steal (the time a
     * virtual machine's cores waited while the host ran something else) is in the total but not
     * in busy: no work of this machine's was done then, so it is no part of an operation's CPU.
     */
    static long[] machine(String procStat) {
        String first = procStat.lines().findFirst().orElseThrow();
        String[] f = first.trim().split("\\s+");
        if (!f[0].equals("cpu")) {
            throw new IllegalArgumentException("not /proc/stat: " + first);
        }
        // user nice system idle iowait irq softirq steal [guest guest_nice, already in user and nice]
        long user = Long.parseLong(f[1]);
        long nice = Long.parseLong(f[2]);
        long system = Long.parseLong(f[3]);
        long idle = Long.parseLong(f[4]);
        long iowait = Long.parseLong(f[5]);
        long irq = Long.parseLong(f[6]);
        long softirq = Long.parseLong(f[7]);
        long steal = f.length > 8 ? Long.parseLong(f[8]) : 0;
        long busy = user + nice + system + irq + softirq;
        return new long[] {busy, busy + idle + iowait + steal, steal};
    }

    /** One process's line of /proc/PID/stat: its name, parent, own and waited-for children's ticks. */
    record Stat(String comm, long parent, long own, long children) {

        static Stat parse(String line) {
            // The name is in parentheses and may hold spaces and parentheses itself.
            int open = line.indexOf('(');
            int close = line.lastIndexOf(')');
            String[] f = line.substring(close + 2).trim().split("\\s+");
            // f[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17, ppid 4.
            return new Stat(line.substring(open + 1, close), Long.parseLong(f[1]),
                    Long.parseLong(f[11]) + Long.parseLong(f[12]), Long.parseLong(f[13]) + Long.parseLong(f[14]));
        }
    }
}
