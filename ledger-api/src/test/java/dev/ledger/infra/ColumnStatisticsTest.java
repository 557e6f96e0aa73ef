package dev.ledger.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.support.IntegrationTest;
import dev.ledger.support.Projections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * ANALYZE of the three large tables computes statistics for the columns that statements search by,
 * and none for the columns they only carry (V12): the planner never reads those, and computing them
 * was about a third of each ANALYZE. The searched columns' statistics come from a sample of 3,000
 * rows (statistics target 10, V13) instead of 30,000: every statement that searches these tables
 * goes by a key or in an index's order; those that read a table whole read it whole whatever the plan.
 */
class ColumnStatisticsTest extends IntegrationTest {

    private static final Map<String, List<String>> SEARCHED = Map.of(
            "domain_event_entry", List.of("aggregate_identifier", "sequence_number", "global_index"),
            "idempotency_inbox", List.of("client_id", "idempotency_key", "created_at"),
            "event_feed", List.of("position", "account_id", "version"));

    private static final Map<String, List<String>> CARRIED = Map.of(
            "domain_event_entry", List.of("payload", "meta_data", "event_identifier", "payload_type", "payload_revision"),
            "idempotency_inbox", List.of("response_body", "response_headers", "fingerprint", "request_id", "status_code"),
            "event_feed", List.of("entry_id", "request_id", "client_id", "reference", "type", "amount", "balance_after",
                    "occurred_at", "currency"));

    @Autowired
    private JdbcTemplate jdbc;

    @Test
    void analyze_keeps_statistics_for_the_searched_columns_only() {
        String account = unique("statistics");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        assertThat(ledger.deposit(account, 5, "EUR").status()).isEqualTo(201);
        Projections.awaitSettled();

        for (String table : SEARCHED.keySet()) {
            jdbc.execute("analyze " + table);
            Set<String> withStatistics = new HashSet<>(jdbc.queryForList(
                    "select attname from pg_stats where schemaname = current_schema() and tablename = ?",
                    String.class, table));
            assertThat(withStatistics).as(table + ": searched columns").containsAll(SEARCHED.get(table));
            assertThat(withStatistics).as(table + ": carried columns").doesNotContainAnyElementsOf(CARRIED.get(table));
        }
    }

    /**
     * A column's histogram has at most one bound more than its statistics target; at the server's
     * default target (100) a column of 40 or more distinct values, as each of these has after this
     * test's deposits, gets one of 40 or more bounds. Each column must have a histogram, so that a
     * missing one cannot pass for a small one.
     */
    @Test
    void analyze_samples_the_large_tables_with_a_statistics_target_of_ten() {
        String account = unique("sample");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        for (int i = 0; i < 40; i++) {
            assertThat(ledger.deposit(account, 1 + i, "EUR").status()).isEqualTo(201);
        }
        Projections.awaitSettled();

        Map<String, List<String>> histogrammed = Map.of(
                "domain_event_entry", List.of("sequence_number", "global_index"),
                "idempotency_inbox", List.of("idempotency_key", "created_at"),
                "event_feed", List.of("position", "version"));
        for (var table : histogrammed.entrySet()) {
            jdbc.execute("analyze " + table.getKey());
            for (String column : table.getValue()) {
                Integer bounds = jdbc.queryForObject(
                        "select cardinality(histogram_bounds::text::text[]) from pg_stats"
                                + " where schemaname = current_schema() and tablename = ? and attname = ?",
                        Integer.class, table.getKey(), column);
                assertThat(bounds).as(table.getKey() + "." + column + ": histogram bounds").isNotNull().isBetween(2, 11);
            }
        }
    }
}
