package dev.ledger.bench;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the relay did during a phase, from the service's scrapes at the phase's start and after its
 * events were delivered. The projection counters: careful deliveries (a batch applied a command at a
 * time after it could not be applied at once), events held for a gap, events out of order,
 * duplicates dropped. A careful delivery is the relay's slow path, so a phase whose lag has a long
 * tail can be told apart from one whose relay only waited. And the relay's rounds
 * ({@code ledger_relay_round_seconds}): how many delivered rows, how many took over 50 ms, their
 * mean and the bucket of the slowest, so that a lag tail can be told apart from slow rounds too.
 */
final class RelayCounters {

    /** The counters, as Prometheus names them; the phase's figures are named without prefix and suffix. */
    static final List<String> COUNTERS = List.of(
            "ledger_projection_deliveries_careful_total",
            "ledger_projection_gaps_held_total",
            "ledger_projection_out_of_order_total",
            "ledger_projection_duplicates_dropped_total");

    /** The relay's round histogram (seconds, fixed buckets). */
    static final String ROUNDS = "ledger_relay_round_seconds";

    /** A round slower than this is counted apart (the lag target's bound). */
    static final double SLOW_ROUND_SECONDS = 0.05;

    private static final String PREFIX = "ledger_projection_";
    private static final String SUFFIX = "_total";

    /** One scrape's counters (a counter the scrape lacks is left out) and its round histogram. */
    record Snapshot(Map<String, Double> counters, Prometheus.Buckets rounds) {
    }

    private RelayCounters() {
    }

    static Snapshot parse(String scrape) {
        Map<String, Double> values = new LinkedHashMap<>();
        for (String counter : COUNTERS) {
            double value = Prometheus.value(scrape, counter);
            if (!Double.isNaN(value)) {
                values.put(counter, value);
            }
        }
        return new Snapshot(values, Prometheus.parse(scrape, ROUNDS));
    }

    /**
     * Each counter's growth between the two scrapes, for the counters both have; then, when both
     * have the round histogram, the rounds of the interval: {@code rounds}, {@code rounds_over_50ms},
     * {@code round_mean_ms} and {@code round_max_le_ms} (the upper bound of the slowest round's
     * bucket; null for the +Inf bucket).
     */
    static Map<String, Object> usage(Snapshot before, Snapshot after) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (before == null || after == null) {
            return m;
        }
        for (String counter : COUNTERS) {
            if (before.counters().containsKey(counter) && after.counters().containsKey(counter)) {
                String name = counter.substring(PREFIX.length(), counter.length() - SUFFIX.length());
                m.put(name, Math.round(after.counters().get(counter) - before.counters().get(counter)));
            }
        }
        if (!before.rounds().isEmpty() && !after.rounds().isEmpty()) {
            Prometheus.Buckets rounds = after.rounds().minus(before.rounds());
            long count = Math.round(rounds.total());
            Double quick = rounds.cumulative().get(SLOW_ROUND_SECONDS);
            m.put("rounds", count);
            m.put("rounds_over_50ms", quick == null ? null : count - Math.round(quick));
            m.put("round_mean_ms", count > 0 ? Math.round(rounds.sum() / count * 1e5) / 100.0 : null);
            double slowest = rounds.quantileUpperBound(1.0);
            m.put("round_max_le_ms", Double.isNaN(slowest) || Double.isInfinite(slowest) ? null
                    : Math.round(slowest * 1e4) / 10.0);
        }
        return m;
    }
}
