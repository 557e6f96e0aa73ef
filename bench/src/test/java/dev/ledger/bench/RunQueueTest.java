package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunQueueTest {

    private static final long SERVICE = 4242;

    @TempDir
    Path proc;

    @Test
    void splitsAWindowsWaitsBetweenPostgresTheServiceAndItsWriterThread() throws Exception {
        CpuMeter meter = new CpuMeter(proc);
        write(0, 0, 0, 0, 0, 0);
        RunQueue.Snapshot before = meter.take(SERVICE).waits();
        // One second later: two backends waited 0.2 s and 0.1 s on run queues, a shell 0.5 s (not
        // PostgreSQL's); the writer thread ran 0.25 s and waited 0.4 s, a request thread waited 0.3 s.
        write(200_000_000, 100_000_000, 500_000_000, 250_000_000, 400_000_000, 300_000_000);
        RunQueue.Snapshot after = meter.take(SERVICE).waits();
        after = new RunQueue.Snapshot(before.nanos() + 1_000_000_000L, after.postgresWait(), after.serviceWait(),
                after.writerRun(), after.writerWait(), after.writers());

        Map<String, Object> waits = RunQueue.usage(before, after);
        assertThat((double) waits.get("postgresWaitCores")).isCloseTo(0.3, within(1e-9));
        assertThat((double) waits.get("serviceWaitCores")).as("every thread of the service").isCloseTo(0.7, within(1e-9));
        assertThat((double) waits.get("writerRunShare")).isCloseTo(0.25, within(1e-9));
        assertThat((double) waits.get("writerWaitShare")).isCloseTo(0.4, within(1e-9));
    }

    @Test
    void leavesTheWriterOutWhenItsThreadsAreNotFoundOrChangedAndGivesNothingWithoutCounters() throws Exception {
        CpuMeter meter = new CpuMeter(proc);
        machine();
        process(101, "postgres", 0);
        thread(3, "http-nio-8080-e", 0, 0);
        RunQueue.Snapshot before = meter.take(SERVICE).waits();
        RunQueue.Snapshot after = new RunQueue.Snapshot(before.nanos() + 1_000_000_000L, 0, 0, 0, 0, 0);
        assertThat(before.writers()).isZero();
        assertThat(RunQueue.usage(before, after)).containsKeys("postgresWaitCores", "serviceWaitCores")
                .doesNotContainKeys("writerRunShare", "writerWaitShare");

        assertThat(new CpuMeter(proc.resolve("missing")).take(SERVICE)).isNull();
        Files.delete(proc.resolve(Long.toString(SERVICE)).resolve("task").resolve("3").resolve("schedstat"));
        assertThat(meter.take(SERVICE).waits()).as("no schedstat lines: no waits").isNull();
        assertThat(RunQueue.usage(null, after)).isEmpty();
        assertThatThrownBy(() -> RunQueue.parse("12 34")).isInstanceOf(IllegalArgumentException.class);
    }

    /** A fake /proc: two backends, a shell, and the service's writer and request threads. */
    private void write(long backendA, long backendB, long shell, long writerRun, long writerWait, long httpWait)
            throws IOException {
        machine();
        process(101, "postgres", backendA);
        process(102, "postgres", backendB);
        process(555, "bash", shell);
        thread(1, "ledger-writer-0", writerRun, writerWait);
        thread(3, "http-nio-8080-e", 999, httpWait);
    }

    private void machine() throws IOException {
        Files.writeString(proc.resolve("stat"), "cpu  0 0 0 0 0 0 0 0 0 0\n");
        Path service = Files.createDirectories(proc.resolve(Long.toString(SERVICE)));
        Files.writeString(service.resolve("stat"), SERVICE + " (java) S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
    }

    private void process(long pid, String comm, long wait) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.writeString(dir.resolve("stat"), pid + " (" + comm + ") S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
        Files.writeString(dir.resolve("schedstat"), "123 " + wait + " 7\n");
    }

    private void thread(long tid, String comm, long run, long wait) throws IOException {
        Path dir = Files.createDirectories(proc.resolve(Long.toString(SERVICE)).resolve("task").resolve(Long.toString(tid)));
        Files.writeString(dir.resolve("stat"), tid + " (" + comm + ") S 1 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0\n");
        Files.writeString(dir.resolve("schedstat"), run + " " + wait + " 9\n");
    }
}
