package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunArchiveTest {

    @TempDir
    Path target;

    @Test
    void keeps_each_runs_results_and_service_log_apart() throws Exception {
        Files.writeString(target.resolve("results.json"), "{\"run\":1}");
        Files.writeString(target.resolve("service.log"), "first service");
        Path first = RunArchive.keep(target, Instant.parse("2026-12-07T16:43:23.5Z"), "f134a46", 5);
        Files.writeString(target.resolve("results.json"), "{\"run\":2}");
        Files.writeString(target.resolve("service.log"), "second service");
        Path second = RunArchive.keep(target, Instant.parse("2026-12-07T16:51:02Z"), "abc1234", 5);

        assertThat(first).isEqualTo(target.resolve("runs/20261207-164323-f134a46"));
        assertThat(second).isEqualTo(target.resolve("runs/20261207-165102-abc1234"));
        assertThat(Files.readString(first.resolve("results.json"))).isEqualTo("{\"run\":1}");
        assertThat(Files.readString(first.resolve("service.log"))).isEqualTo("first service");
        assertThat(Files.readString(second.resolve("service.log"))).isEqualTo("second service");
    }

    @Test
    void keeps_what_exists_and_nothing_when_nothing_does() throws Exception {
        assertThat(RunArchive.keep(target, Instant.parse("2026-12-07T16:00:00Z"), "x", 5)).isNull();
        assertThat(target.resolve("runs")).doesNotExist();

        Files.writeString(target.resolve("service.log"), "did not start");
        Path dir = RunArchive.keep(target, Instant.parse("2026-12-07T16:00:00Z"), null, 5);
        assertThat(dir).isEqualTo(target.resolve("runs/20261207-160000"));
        assertThat(dir.resolve("service.log")).exists();
        assertThat(dir.resolve("results.json")).doesNotExist();
    }

    @Test
    void deletes_the_oldest_runs_beyond_the_limit() throws Exception {
        Files.writeString(target.resolve("results.json"), "{}");
        for (int minute = 10; minute < 15; minute++) {
            RunArchive.keep(target, Instant.parse("2026-12-07T16:" + minute + ":00Z"), "c", 3);
        }
        try (Stream<Path> s = Files.list(target.resolve("runs"))) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("20261207-161200-c", "20261207-161300-c", "20261207-161400-c");
        }
    }
}
