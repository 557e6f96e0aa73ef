package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CpuMeterTest {

    private static final long SERVICE = 4242;
    private static final long POSTMASTER = 100;

    @TempDir
    Path proc;

    @Test
    void reads_a_process_line_whose_name_holds_spaces_and_parentheses() {
        CpuMeter.Stat stat = CpuMeter.Stat.parse(
                "77 (postgres: x (y)) S 100 77 77 0 -1 4194304 1 0 0 0 250 30 40 2 20 0 1 0 5 0 0");
        assertThat(stat.comm()).isEqualTo("postgres: x (y)");
        assertThat(stat.parent()).isEqualTo(100);
        assertThat(stat.own()).isEqualTo(280);
        assertThat(stat.children()).isEqualTo(42);
    }

    @Test
    void counts_busy_time_with_interrupts_idle_with_iowait_and_the_host_s_steal_apart() {
        long[] machine = CpuMeter.machine("cpu  100 5 50 800 20 3 7 15 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\n");
        assertThat(machine[0]).as("busy: user, nice, system, irq, softirq").isEqualTo(100 + 5 + 50 + 3 + 7);
        assertThat(machine[1]).as("total: busy, idle, iowait and steal").isEqualTo(machine[0] + 800 + 20 + 15);
        assertThat(machine[2]).as("steal").isEqualTo(15);
    }

    @Test
    void splits_a_window_between_postgres_the_service_the_load_generator_and_the_rest() throws Exception {
        CpuMeter meter = new CpuMeter(proc);
        long self = ProcessHandle.current().pid();
        write(0, 0, 0, 0, 0, 0, self);
        threads(0, 0, 0);
        CpuMeter.Snapshot before = meter.take(SERVICE);
        // One second later on 2 cores: the machine busy 180 ticks of 200; PostgreSQL 60 in a live
        // backend plus 20 in one that exited (now the postmaster's children's time); the service 70,
        // of which its two JIT compiler threads 15 and 10; this JVM 10 of its own and 5 in a child.
        write(180, 20, 60, 20, 70, 10, self);
        threads(15, 10, 45);
        CpuMeter.Snapshot after = meter.take(SERVICE);
        after = new CpuMeter.Snapshot(before.nanos() + 1_000_000_000L, after.machineBusy(), after.machineTotal(),
                after.postgres(), after.service(), after.jit(), after.self(), after.children() + 5, after.waits(),
                after.machineSteal());

        Map<String, Object> ledger = CpuMeter.usage(before, after, 1000, false);
        assertThat((double) ledger.get("machineCores")).isCloseTo(2.0, within(1e-9));
        assertThat((double) ledger.get("machineBusyCores")).isCloseTo(1.8, within(1e-9));
        assertThat((double) ledger.get("postgresCores")).isCloseTo(0.8, within(1e-9));
        assertThat((double) ledger.get("serviceCores")).isCloseTo(0.7, within(1e-9));
        assertThat((double) ledger.get("serviceJitCores")).as("C1 and C2 threads, not the others")
                .isCloseTo(0.25, within(1e-9));
        assertThat((double) ledger.get("loadGeneratorCores")).isCloseTo(0.1, within(1e-9));
        assertThat((double) ledger.get("otherCores")).isCloseTo(0.2, within(1e-9));
        assertThat((double) ledger.get("machineBusyMillisPerOp")).isCloseTo(1.8, within(1e-9));
        assertThat((double) ledger.get("serviceMillisPerOp")).isCloseTo(0.7, within(1e-9));

        Map<String, Object> pgbench = CpuMeter.usage(before, after, 2000, true);
        assertThat((double) pgbench.get("loadGeneratorCores")).as("pgbench: the children's time").isCloseTo(0.05,
                within(1e-9));
        assertThat((double) pgbench.get("serviceCores")).as("the service's own, if it ran").isCloseTo(0.7,
                within(1e-9));
        assertThat(pgbench).doesNotContainKey("serviceMillisPerOp");
        assertThat((double) pgbench.get("postgresMillisPerOp")).isCloseTo(0.4, within(1e-9));
    }

    @Test
    void gives_the_host_s_steal_apart_and_leaves_it_out_of_the_cpu_per_operation() {
        // One second on 2 cores: busy 120 ticks, stolen by the host 50, idle 30.
        CpuMeter.Snapshot before = new CpuMeter.Snapshot(0, 1_000, 5_000, 0, 0, -1, 0, 0, null, 300);
        CpuMeter.Snapshot after = new CpuMeter.Snapshot(1_000_000_000L, 1_120, 5_200, 0, 0, -1, 0, 0, null, 350);

        Map<String, Object> usage = CpuMeter.usage(before, after, 1000, false);
        assertThat((double) usage.get("machineCores")).isCloseTo(2.0, within(1e-9));
        assertThat((double) usage.get("machineBusyCores")).isCloseTo(1.2, within(1e-9));
        assertThat((double) usage.get("stealCores")).isCloseTo(0.5, within(1e-9));
        assertThat((double) usage.get("machineBusyMillisPerOp")).as("the machine's own work only")
                .isCloseTo(1.2, within(1e-9));
    }

    @Test
    void leaves_the_jit_out_where_the_service_s_threads_cannot_be_read() throws Exception {
        CpuMeter meter = new CpuMeter(proc);
        write(0, 0, 0, 0, 0, 0, ProcessHandle.current().pid());
        CpuMeter.Snapshot before = meter.take(SERVICE);
        CpuMeter.Snapshot after = new CpuMeter.Snapshot(before.nanos() + 1_000_000_000L, before.machineBusy(),
                before.machineTotal() + 200, before.postgres(), before.service(), before.jit(), before.self(),
                before.children(), before.waits(), before.machineSteal());

        assertThat(before.jit()).isEqualTo(-1);
        assertThat(CpuMeter.usage(before, after, 1000, false)).containsKey("serviceCores")
                .doesNotContainKey("serviceJitCores");
    }

    @Test
    void gives_nothing_without_proc_or_without_a_window() {
        assertThat(new CpuMeter(proc.resolve("missing")).take(SERVICE)).isNull();
        assertThat(CpuMeter.usage(null, null, 100, false)).isEmpty();
    }

    /** A fake /proc: the machine line and the postmaster, a backend, the service and this JVM. */
    private void write(long busy, long idle, long backend, long exitedBackends, long service, long self, long selfPid)
            throws IOException {
        Files.writeString(proc.resolve("stat"), "cpu  " + busy + " 0 0 " + idle + " 0 0 0 0 0 0\n");
        process(POSTMASTER, "postgres", 1, 0, exitedBackends);
        process(101, "postgres", POSTMASTER, backend, 0);
        process(SERVICE, "java", 1, service, 0);
        process(selfPid, "java", 1, self, 0);
        process(555, "bash", 1, 999, 0);
    }

    /** The service's threads: a C2 and a C1 compiler thread and a request thread, with their ticks. */
    private void threads(long c2, long c1, long http) throws IOException {
        thread(1, "C2 CompilerThre", c2);
        thread(2, "C1 CompilerThre", c1);
        thread(3, "http-nio-8080-e", http);
    }

    private void thread(long tid, String comm, long own) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(SERVICE)).resolve("task").resolve(Long.toString(tid)));
        Files.writeString(dir.resolve("stat"), tid + " (" + comm + ") S 1 1 1 0 -1 0 0 0 0 0 " + own
                + " 0 0 0 20 0 1 0 5 0 0\n");
    }

    private void process(long pid, String comm, long parent, long own, long children) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(dir.resolve("stat"), pid + " (" + comm + ") S " + parent + " 1 1 0 -1 0 0 0 0 0 "
                + own + " 0 " + children + " 0 20 0 1 0 5 0 0\n");
    }
}
