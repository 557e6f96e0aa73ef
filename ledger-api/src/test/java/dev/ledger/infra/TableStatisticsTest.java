package dev.ledger.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.support.IntegrationTest;
import dev.ledger.support.Poll;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A table whose rows changed by more than autovacuum's rule since its last ANALYZE is analyzed
 * (so that plans made while it was small are replaced), and one that did not is left alone.
 */
class TableStatisticsTest extends IntegrationTest {

    private static final String TABLE = "projection_held";
    private static final int ROWS = 5_000;

    @Autowired
    private TableStatistics statistics;

    @Autowired
    private JdbcTemplate jdbc;

    @Autowired
    private PlatformTransactionManager transactionManager;

    @Test
    void a_table_changed_beyond_the_rule_is_analyzed_and_then_left_alone() {
        String account = unique("statistics");
        long analyzedBefore = analyzeCount();
        // Rows inserted and deleted in one transaction: no other test ever sees them, but each
        // counts as a change twice.
        new TransactionTemplate(transactionManager).executeWithoutResult(status -> {
            assertThat(jdbc.update("""
                    insert into projection_held (account_id, version, entry, held_at)
                    select ?, n, '{}', now() from generate_series(1, ?) as n""", account, ROWS)).isEqualTo(ROWS);
            assertThat(jdbc.update("delete from projection_held where account_id = ?", account)).isEqualTo(ROWS);
        });

        // The server publishes a transaction's row counts within about a second; the scheduled
        // run may get there first, so what is checked is the server's count of ANALYZEs.
        Poll.until("an ANALYZE of " + TABLE, Duration.ofSeconds(15), () -> {
            statistics.analyzeStale();
            return analyzeCount();
        }, count -> count > analyzedBefore);

        assertThat(statistics.analyzeStale()).as("tables analyzed right after").doesNotContain(TABLE);
        assertThat(TableStatistics.TABLES).contains(TABLE);
    }

    private long analyzeCount() {
        Long count = jdbc.queryForObject("select analyze_count + autoanalyze_count from pg_stat_user_tables"
                + " where schemaname = current_schema() and relname = ?", Long.class, TABLE);
        return count == null ? 0 : count;
    }
}
