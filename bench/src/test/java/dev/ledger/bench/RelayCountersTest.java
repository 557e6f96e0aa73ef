package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RelayCountersTest {

    private static String scrape(double careful, double gaps, double outOfOrder, double duplicates) {
        return "# HELP ledger_projection_deliveries_careful_total Deliveries applied a command at a time\n"
                + "# TYPE ledger_projection_deliveries_careful_total counter\n"
                + "ledger_projection_deliveries_careful_total " + careful + "\n"
                + "ledger_projection_gaps_held_total " + gaps + "\n"
                + "ledger_projection_out_of_order_total " + outOfOrder + "\n"
                + "ledger_projection_duplicates_dropped_total " + duplicates + "\n"
                + "ledger_relay_backlog 12.0\n";
    }

    /** The round histogram with rounds under 5 ms, under 50 ms, under 300 ms and over it, and their seconds. */
    private static String rounds(double under5, double under50, double under300, double total, double seconds) {
        return "# TYPE ledger_relay_round_seconds histogram\n"
                + "ledger_relay_round_seconds_bucket{le=\"0.005\"} " + under5 + "\n"
                + "ledger_relay_round_seconds_bucket{le=\"0.05\"} " + under50 + "\n"
                + "ledger_relay_round_seconds_bucket{le=\"0.075\"} " + under50 + "\n"
                + "ledger_relay_round_seconds_bucket{le=\"0.3\"} " + under300 + "\n"
                + "ledger_relay_round_seconds_bucket{le=\"+Inf\"} " + total + "\n"
                + "ledger_relay_round_seconds_count " + total + "\n"
                + "ledger_relay_round_seconds_sum " + seconds + "\n";
    }

    @Test
    void a_phase_gets_each_counter_s_growth_between_its_two_scrapes() {
        Map<String, Object> phase = RelayCounters.usage(RelayCounters.parse(scrape(2, 5, 7, 0)),
                RelayCounters.parse(scrape(5, 5, 9, 1)));

        assertThat(phase).containsExactly(Map.entry("deliveries_careful", 3L), Map.entry("gaps_held", 0L),
                Map.entry("out_of_order", 2L), Map.entry("duplicates_dropped", 1L));
    }

    @Test
    void a_counter_missing_from_either_scrape_is_left_out() {
        String withoutCareful = scrape(0, 1, 1, 1).replaceAll("(?m)^ledger_projection_deliveries_careful_total.*\n", "");

        Map<String, Object> phase = RelayCounters.usage(RelayCounters.parse(withoutCareful),
                RelayCounters.parse(scrape(4, 1, 1, 1)));

        assertThat(phase).doesNotContainKey("deliveries_careful").containsEntry("gaps_held", 0L);
        assertThat(RelayCounters.usage(null, RelayCounters.parse(scrape(1, 1, 1, 1)))).isEmpty();
    }

    @Test
    void a_phase_gets_its_rounds_those_over_50_ms_their_mean_and_the_slowest_one_s_bucket() {
        RelayCounters.Snapshot before = RelayCounters.parse(scrape(0, 0, 0, 0) + rounds(90, 99, 100, 100, 0.4));
        RelayCounters.Snapshot after = RelayCounters.parse(scrape(0, 0, 0, 0) + rounds(480, 497, 500, 500, 1.6));

        Map<String, Object> phase = RelayCounters.usage(before, after);

        assertThat(phase).containsEntry("rounds", 400L).containsEntry("rounds_over_50ms", 2L)
                .containsEntry("round_mean_ms", 3.0).containsEntry("round_max_le_ms", 300.0);
    }

    @Test
    void a_round_only_in_the_inf_bucket_has_no_bound_and_an_interval_without_rounds_no_mean() {
        RelayCounters.Snapshot before = RelayCounters.parse(rounds(10, 10, 10, 10, 0.01));

        assertThat(RelayCounters.usage(before, RelayCounters.parse(rounds(10, 10, 10, 11, 60.01))))
                .containsEntry("rounds", 1L).containsEntry("rounds_over_50ms", 1L).containsEntry("round_max_le_ms", null);
        assertThat(RelayCounters.usage(before, before)).containsEntry("rounds", 0L).containsEntry("rounds_over_50ms", 0L)
                .containsEntry("round_mean_ms", null).containsEntry("round_max_le_ms", null);
        assertThat(RelayCounters.usage(before, RelayCounters.parse(scrape(0, 0, 0, 0)))).doesNotContainKey("rounds");
    }
}
