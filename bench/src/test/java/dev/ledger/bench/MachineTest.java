package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
        Machine.SyncTimes counted = Machine.syncTimes(dir, 40, 30);
        assertThat(counted.writes()).isEqualTo(40);
        assertThat(counted.medianMicros()).isPositive();
        assertThat(counted.p99Micros()).isGreaterThanOrEqualTo(counted.medianMicros());

        // A million flushed writes cannot fit in a tenth of a second: the time bound stops it.
        Machine.SyncTimes timed = Machine.syncTimes(dir, 1_000_000, 0.1);
        assertThat(timed.writes()).isPositive().isLessThan(1_000_000);
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).isEmpty();
        }
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
    void tells_whether_two_paths_share_a_filesystem(@TempDir Path dir) throws IOException {
        Path inside = Files.createDirectory(dir.resolve("inside"));
        assertThat(Bench.sameFilesystem(inside, dir.toString())).isTrue();
        assertThat(Bench.sameFilesystem(inside, dir.resolve("absent").toString())).isNull();
        assertThat(Bench.sameFilesystem(inside, "/proc")).isFalse();
    }
}
