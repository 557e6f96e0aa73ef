package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WalMeterTest {

    @Test
    void reads_psqls_lines_of_counters() {
        WalMeter.Snapshot s = WalMeter.parse(7, "10513626|74935|2361379365|272443\n", "35|2633402.5|130029|863588|2282885");
        assertThat(s).isEqualTo(new WalMeter.Snapshot(7, 10513626, 74935, 2361379365L, 272443,
                new WalMeter.DataWrites(35, 2633402.5, 130029, 863588, 2282885)));
        assertThat(WalMeter.parse(7, "ERROR: relation \"pg_stat_wal\" does not exist", "")).isNull();
        assertThat(WalMeter.parse(7, "1|2|x|4", "")).isNull();
        // PostgreSQL 17 moved the checkpointer's columns out of pg_stat_bgwriter: the WAL counters stay.
        assertThat(WalMeter.parse(7, "1|2|3|4", "")).isEqualTo(new WalMeter.Snapshot(7, 1, 2, 3, 4, null));
    }

    @Test
    void gives_what_was_written_per_operation() {
        WalMeter.Snapshot before = new WalMeter.Snapshot(0, 1_000, 10, 100_000, 50,
                new WalMeter.DataWrites(3, 1000.0, 500, 20, 7));
        // 2 s at 500 operations a second: 1,000 operations
        WalMeter.Snapshot after = new WalMeter.Snapshot(2_000_000_000L, 21_000, 60, 3_100_000, 350,
                new WalMeter.DataWrites(4, 1000.0, 620, 30, 207));

        Map<String, Object> perOp = WalMeter.usage(before, after, 500);

        assertThat(perOp).containsEntry("bytesPerOp", 3000.0).containsEntry("recordsPerOp", 20.0)
                .containsEntry("fullPageImagesPerOp", 0.05).containsEntry("syncsPerOp", 0.3)
                .containsEntry("syncsPerSecond", 150.0)
                .containsEntry("checkpointsBegun", 1L).containsEntry("checkpointEnded", false)
                .containsEntry("checkpointBuffersPerOp", 0.12).containsEntry("cleanBuffersPerOp", 0.01)
                .containsEntry("backendBuffersPerOp", 0.2);
        WalMeter.Snapshot ended = new WalMeter.Snapshot(2_000_000_000L, 21_000, 60, 3_100_000, 350,
                new WalMeter.DataWrites(3, 1250.5, 900, 20, 7));
        assertThat(WalMeter.usage(before, ended, 500)).containsEntry("checkpointsBegun", 0L)
                .containsEntry("checkpointEnded", true);
        WalMeter.Snapshot withoutData = new WalMeter.Snapshot(2_000_000_000L, 21_000, 60, 3_100_000, 350, null);
        assertThat(WalMeter.usage(before, withoutData, 500)).containsEntry("bytesPerOp", 3000.0)
                .doesNotContainKey("checkpointsBegun");
        assertThat(WalMeter.usage(null, after, 500)).isEmpty();
        assertThat(WalMeter.usage(before, after, 0)).isEmpty();
    }

    @Test
    void the_report_shows_a_row_per_phase_that_has_figures() {
        Map<String, Object> pgbench = Map.of("name", "ab-1", "tps", 2000.0,
                "wal", Map.of("bytesPerOp", 4264.4, "recordsPerOp", 6.3, "fullPageImagesPerOp", 0.5,
                        "syncsPerOp", 0.62, "syncsPerSecond", 1204.0, "checkpointsBegun", 1L, "checkpointEnded", true,
                        "checkpointBuffersPerOp", 0.12, "cleanBuffersPerOp", 0.0, "backendBuffersPerOp", 0.25));
        Map<String, Object> ledger = Map.of("name", "ab-spread-1", "perSecond", 1880.0,
                "wal", Map.of("bytesPerOp", 3119.0, "recordsPerOp", 20.8, "fullPageImagesPerOp", 0.0,
                        "syncsPerOp", 0.31, "syncsPerSecond", 587.0));
        Map<String, Object> without = Map.of("name", "ab-hot-1", "perSecond", 1900.0, "wal", Map.of());

        String table = Report.walTable(List.of(pgbench, ledger, without));

        assertThat(table).contains("| ab-1 (pgbench) | 2,000 | 4,264 | 6.30 | 0.500 | 0.620 | 1,204 | 1 / **yes**"
                        + " | 0.120 / 0.000 / 0.250 |")
                .contains("| ab-spread-1 | 1,880 | 3,119 | 20.80 | 0.000 | 0.310 | 587 | n/a | n/a |")
                .doesNotContain("ab-hot-1");
        assertThat(Report.walTable(List.of(without))).isEmpty();
    }
}
