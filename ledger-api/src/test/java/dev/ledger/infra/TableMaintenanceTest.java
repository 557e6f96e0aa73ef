package dev.ledger.infra;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.support.IntegrationTest;
import dev.ledger.support.Poll;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * A table with more dead rows and more changes than autovacuum's rules allow is vacuumed and
 * analyzed (so that plans made while it was small are replaced and the relay's indexes lose their
 * dead entries), and then left alone; and its work is paced as autovacuum's would be.
 */
class TableMaintenanceTest extends IntegrationTest {

    private static final String TABLE = "projection_held";
    private static final int ROWS = 5_000;

    @Autowired
    private TableMaintenance maintenance;

    @Autowired
    private JdbcTemplate jdbc;

    @Autowired
    private PlatformTransactionManager transactionManager;

    @Test
    void a_table_changed_beyond_the_rules_is_vacuumed_and_analyzed_and_then_left_alone() {
        String account = unique("maintenance");
        List<Long> before = counts();
        leaveDeadRows(account, ROWS);

        // The server publishes a transaction's row counts within about a second; the scheduled
        // run may get there first, so what is checked is the server's count of VACUUMs and ANALYZEs.
        Poll.until("a VACUUM and an ANALYZE of " + TABLE, Duration.ofSeconds(15), () -> {
            maintenance.runDue();
            return counts();
        }, counts -> counts.get(0) > before.get(0) && counts.get(1) > before.get(1));

        assertThat(maintenance.runDue()).as("maintenance right after")
                .doesNotContain("vacuum " + TABLE, "analyze " + TABLE);
        assertThat(TableMaintenance.TABLES).contains(TABLE);
    }

    @Test
    void a_pass_is_paced_by_the_tables_autovacuum_cost_settings() throws Exception {
        String account = unique("paced");
        // A cost limit of 1 makes a session with this table's settings sleep after every page it touches.
        jdbc.execute("alter table " + TABLE + " set (autovacuum_vacuum_cost_delay = 10, autovacuum_vacuum_cost_limit = 1)");
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try {
            List<Long> before = counts();
            leaveDeadRows(account, 1_000);
            // Maintenance passes on another thread until the table has been vacuumed (by this
            // pass or by the scheduled one, which uses the same settings).
            Future<?> passes = runner.submit(() -> Poll.until("a VACUUM of " + TABLE, Duration.ofSeconds(20), () -> {
                maintenance.runDue();
                return counts();
            }, counts -> counts.get(0) > before.get(0)));

            String seen = Poll.until("maintenance of " + TABLE + " sleeping in the cost-based delay", Duration.ofSeconds(20),
                    () -> jdbc.queryForList("select wait_event from pg_stat_activity where pid <> pg_backend_pid()"
                            + " and wait_event = 'VacuumDelay' and query ilike ?", String.class, "%" + TABLE + "%"),
                    waits -> !waits.isEmpty() || passes.isDone()).stream().findFirst().orElse("never");
            passes.get(30, TimeUnit.SECONDS);
            assertThat(seen).isEqualTo("VacuumDelay");
        } finally {
            runner.shutdownNow();
            jdbc.execute("alter table " + TABLE + " reset (autovacuum_vacuum_cost_delay, autovacuum_vacuum_cost_limit)");
        }
    }

    /**
     * Rows inserted and deleted in one transaction: no other test ever sees them, but each counts
     * as a change twice and leaves a dead row.
     */
    private void leaveDeadRows(String account, int rows) {
        new TransactionTemplate(transactionManager).executeWithoutResult(status -> {
            assertThat(jdbc.update("""
                    insert into projection_held (account_id, version, entry, held_at)
                    select ?, n, '{}', now() from generate_series(1, ?) as n""", account, rows)).isEqualTo(rows);
            assertThat(jdbc.update("delete from projection_held where account_id = ?", account)).isEqualTo(rows);
        });
    }

    /** The server's counts of VACUUMs and of ANALYZEs of the table, by anyone. */
    private List<Long> counts() {
        return jdbc.queryForObject("select vacuum_count + autovacuum_count, analyze_count + autoanalyze_count"
                        + " from pg_stat_user_tables where schemaname = current_schema() and relname = ?",
                (rs, row) -> List.of(rs.getLong(1), rs.getLong(2)), TABLE);
    }
}
