package dev.ledger.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the relay's consumer did other than apply a batch at once during a phase, from the service's
 * projection counters scraped at the phase's start and after its events were delivered: careful
 * deliveries (a batch applied a command at a time after it could not be applied at once), events
 * held for a gap, events out of order, duplicates dropped. A careful delivery is the relay's slow
 * path, so a phase whose lag has a long tail can be told apart from one whose relay only waited.
 */
final class RelayCounters {

    /** The counters, as Prometheus names them; the phase's figures are named without prefix and suffix. */
    static final List<String> COUNTERS = List.of(
            "ledger_projection_deliveries_careful_total",
            "ledger_projection_gaps_held_total",
            "ledger_projection_out_of_order_total",
            "ledger_projection_duplicates_dropped_total");

    private static final String PREFIX = "ledger_projection_";
    private static final String SUFFIX = "_total";

    private RelayCounters() {
    }

    /** The counters out of a scrape; a counter the scrape lacks is left out. */
    static Map<String, Double> parse(String scrape) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (String counter : COUNTERS) {
            double value = Prometheus.value(scrape, counter);
            if (!Double.isNaN(value)) {
                values.put(counter, value);
            }
        }
        return values;
    }

    /** Each counter's growth between the two scrapes, for the counters both have. */
    static Map<String, Object> usage(Map<String, Double> before, Map<String, Double> after) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (before == null || after == null) {
            return m;
        }
        for (String counter : COUNTERS) {
            if (before.containsKey(counter) && after.containsKey(counter)) {
                String name = counter.substring(PREFIX.length(), counter.length() - SUFFIX.length());
                m.put(name, Math.round(after.get(counter) - before.get(counter)));
            }
        }
        return m;
    }
}
