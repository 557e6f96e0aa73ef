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
}
