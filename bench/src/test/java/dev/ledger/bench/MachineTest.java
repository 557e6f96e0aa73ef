package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineTest {

    private static final String INTEL = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            cpu family\t: 6
            model\t\t: 167
            model name\t: Intel(R) Xeon(R) Processor
            stepping\t: 1
            cpu MHz\t\t: 2599.998

            processor\t: 1
            vendor_id\t: GenuineIntel
            cpu family\t: 6
            model\t\t: 85
            model name\t: Another
            cpu MHz\t\t: 3000.000
            """;

    @Test
    void schedulingTellsWhetherAutogroupsAreOnAndTheServicesAndTheBenchmarksGroups(@TempDir Path proc)
            throws IOException {
        Files.createDirectories(proc.resolve("sys/kernel"));
        Files.writeString(proc.resolve("sys/kernel/sched_autogroup_enabled"), "1\n");
        Files.createDirectories(proc.resolve("41"));
        Files.writeString(proc.resolve("41/autogroup"), "/autogroup-1303 nice 0\n");
        Files.createDirectories(proc.resolve("7"));
        Files.writeString(proc.resolve("7/autogroup"), "/autogroup-85 nice 0\n");

        assertThat(Machine.scheduling(41, 7, proc)).containsExactly(Map.entry("autogroupEnabled", true),
                Map.entry("serviceAutogroup", "autogroup-1303"), Map.entry("benchAutogroup", "autogroup-85"));
        assertThat(Machine.scheduling(41, 99, proc)).as("a process whose group cannot be read")
                .doesNotContainKey("benchAutogroup").containsEntry("serviceAutogroup", "autogroup-1303");
    }

    @Test
    void schedulingLeavesOutWhatAKernelWithoutAutogroupsDoesNotHave(@TempDir Path proc) {
        assertThat(Machine.scheduling(41, 7, proc)).isEmpty();
    }

    @Test
    void names_the_first_processor_with_its_family_model_and_clock() {
        assertThat(Machine.cpu(INTEL)).isEqualTo("Intel(R) Xeon(R) Processor (family 6, model 167, 2,600 MHz)");
        assertThat(Machine.cpu("""
                processor\t: 0
                cpu family\t: 26
                model\t\t: 2
                model name\t: AMD EPYC Processor
                cpu MHz\t\t: 2100.000
                """)).isEqualTo("AMD EPYC Processor (family 26, model 2, 2,100 MHz)");
        assertThat(Machine.cpu("model name\t: Some CPU\ncpu MHz\t: fast\n")).isEqualTo("Some CPU");
        assertThat(Machine.cpu("processor\t: 0\nBogoMIPS\t: 50.00\n")).isNull();
    }

    @Test
    void times_flushed_writes_within_its_bounds_and_leaves_no_file(@TempDir Path dir) throws IOException {
        Machine.Timings counted = Machine.syncTimes(dir, 40, 30);
        assertThat(counted.count()).isEqualTo(40);
        assertThat(counted.medianMicros()).isPositive();
        assertThat(counted.p99Micros()).isGreaterThanOrEqualTo(counted.medianMicros());

        // A million flushed writes cannot fit in a tenth of a second: the time bound stops it.
        Machine.Timings timed = Machine.syncTimes(dir, 1_000_000, 0.1);
        assertThat(timed.count()).isPositive().isLessThan(1_000_000);
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
    }

    @Test
    void times_loopback_round_trips_within_its_bounds() throws Exception {
        Machine.Timings counted = Machine.loopbackRoundTrips(200, 30);
        assertThat(counted.count()).isEqualTo(200);
        assertThat(counted.medianMicros()).isPositive();
        assertThat(counted.p99Micros()).isGreaterThanOrEqualTo(counted.medianMicros());

        // Ten million round trips cannot fit in a tenth of a second: the time bound stops it.
        Machine.Timings timed = Machine.loopbackRoundTrips(10_000_000, 0.1);
        assertThat(timed.count()).isPositive().isLessThan(10_000_000);
    }

    @Test
    void times_round_trips_with_the_threads_kept_on_their_cores_and_gives_the_measuring_thread_its_cores_back()
            throws Exception {
        long self = Machine.threadId();
        String before = Machine.affinity(self);

        Machine.Timings oneCore = Machine.loopbackRoundTrips(200, 30, new Machine.Cores(0, 0));
        assertThat(oneCore.count()).isEqualTo(200);
        assertThat(oneCore.medianMicros()).isPositive();
        assertThat(Machine.affinity(self)).isEqualTo(before);

        assumeTrue(Runtime.getRuntime().availableProcessors() >= 2, "a second core to put the echoing thread on");
        Machine.Timings twoCores = Machine.loopbackRoundTrips(200, 30, new Machine.Cores(0, 1));
        assertThat(twoCores.count()).isEqualTo(200);
        assertThat(Machine.affinity(self)).isEqualTo(before);
    }

    @Test
    void keeps_a_thread_on_the_cores_it_is_given() throws Exception {
        long[] seen = new long[1];
        String[] kept = new String[2];
        Thread thread = new Thread(() -> {
            try {
                seen[0] = Machine.threadId();
                kept[0] = Machine.affinity(seen[0]);
                Machine.keepOn(seen[0], "0");
                kept[1] = Machine.affinity(seen[0]);
            } catch (Exception failed) {
                kept[1] = failed.toString();
            }
        });
        thread.start();
        thread.join(30_000);
        assertThat(seen[0]).as("the kernel's id of the thread, not the process's").isNotEqualTo(ProcessHandle.current().pid());
        assertThat(kept[0]).isNotBlank();
        assertThat(kept[1]).isEqualTo("0");
    }

    @Test
    void a_core_that_does_not_exist_fails_the_reading_and_leaves_the_measuring_thread_as_it_was() throws Exception {
        long self = Machine.threadId();
        String before = Machine.affinity(self);

        assertThatThrownBy(() -> Machine.loopbackRoundTrips(200, 30, new Machine.Cores(0, 4095)))
                .isInstanceOf(IOException.class).hasMessageContaining("echoing thread could not be kept on CPU 4095");
        assertThat(Machine.affinity(self)).isEqualTo(before);

        assertThatThrownBy(() -> Machine.loopbackRoundTrips(200, 30, new Machine.Cores(4095, 0)))
                .isInstanceOf(IOException.class).hasMessageContaining("taskset");
        assertThat(Machine.affinity(self)).isEqualTo(before);
    }

    @Test
    void reads_each_mitigation_as_its_files_line(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("retbleed"), "Vulnerable\n");
        Files.writeString(dir.resolve("spectre_v2"), "Mitigation: Retpolines; STIBP: disabled\n");
        assertThat(Machine.mitigations(dir)).containsExactly(Map.entry("retbleed", "Vulnerable"),
                Map.entry("spectre_v2", "Mitigation: Retpolines; STIBP: disabled"));
        assertThat(Machine.mitigations(dir.resolve("absent"))).isEmpty();
    }

    @Test
    void timings_give_mean_median_and_p99_of_the_counted_part() {
        long[] nanos = {4_000, 1_000, 3_000, 2_000, 99_000_000};
        assertThat(Machine.Timings.of(nanos, 4)).isEqualTo(new Machine.Timings(4, 2.5, 2.0, 4.0));
        assertThat(Machine.Timings.of(nanos, 0)).isEqualTo(new Machine.Timings(0, 0, 0, 0));
    }

    @Test
    void quantiles_are_nearest_rank_in_microseconds() {
        long[] nanos = new long[100];
        for (int i = 0; i < nanos.length; i++) {
            nanos[i] = (i + 1) * 1000L;
        }
        assertThat(Machine.micros(nanos, 0.5)).isEqualTo(50.0);
        assertThat(Machine.micros(nanos, 0.99)).isEqualTo(99.0);
        assertThat(Machine.micros(new long[] {7000}, 0.99)).isEqualTo(7.0);
        assertThat(Machine.micros(new long[0], 0.5)).isZero();
    }

    @Test
    void a_reading_that_fails_is_left_out_and_the_others_kept() {
        Map<String, Object> env = new LinkedHashMap<>();
        Bench.reading(env, "flush", () -> {
            throw new IOException("no disk here");
        });
        Bench.reading(env, "trip", () -> Map.of("count", 3));
        assertThat(env).containsExactly(Map.entry("trip", Map.of("count", 3)));
    }

    @Test
    void tells_whether_two_paths_share_a_filesystem(@TempDir Path dir) throws IOException {
        Path inside = Files.createDirectory(dir.resolve("inside"));
        assertThat(Bench.sameFilesystem(inside, dir.toString())).isTrue();
        assertThat(Bench.sameFilesystem(inside, dir.resolve("absent").toString())).isNull();
        assertThat(Bench.sameFilesystem(inside, "/proc")).isFalse();
    }
}
