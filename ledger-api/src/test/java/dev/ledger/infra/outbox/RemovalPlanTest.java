package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.infra.Pipeline;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

/**
 * A relay round removes the rows it delivered by probing the outbox's primary key, never by reading
 * the whole table. Between two vacuums the outbox is mostly the dead rows of deliveries, while the
 * statistics the last vacuum left say that it holds a few rows: with those the planner found a
 * probe of the key dearer than reading every page, and did so for each round's delete (seen under
 * load as 963 pages read to delete 20 rows, a quarter of the relay's server process's CPU).
 * Reproduced on a private copy of the table (a temporary table of the same name, which the
 * statements then use), in a transaction rolled back at the end; a control shows that the delete
 * alone reads the whole table there.
 */
class RemovalPlanTest extends IntegrationTest {

    private static final int DELIVERED = 20_000;
    private static final int PENDING = 20;

    @Test
    void a_rounds_removal_probes_the_key_when_the_statistics_call_the_outbox_nearly_empty() throws Exception {
        try (Connection connection = TestDatabase.get().connect()) {
            connection.setAutoCommit(false);
            try (Statement statement = connection.createStatement()) {
                statement.execute("create temp table outbox_event (like public.outbox_event including all)"
                        + " on commit drop");
                statement.execute("""
                        insert into outbox_event (account_id, version, type, amount, currency, balance_after,
                                                  occurred_at)
                        select 'acc-' || (n %% 1000), n, 'DEPOSITED', 1, 'EUR', n, now()
                        from generate_series(1, %d) as n""".formatted(DELIVERED + PENDING));
                // The delivered rows are gone; the pending ones, last in the table, keep its pages.
                statement.execute("delete from outbox_event where version <= " + DELIVERED);
                statement.execute("analyze outbox_event");
                // On the benchmark's database the statistics a vacuum left made each probe of the key look
                // like dozens of page reads (an index of hundreds of pages said to hold a handful of
                // entries) against 963 pages of table; here the same belief comes from the price of a
                // random page read.
                statement.execute("set local random_page_cost = 40");
                List<Long> pending = longs(connection, "select id from outbox_event order by id");
                assertThat(pending).hasSize(PENDING);

                assertThat(plan(connection, pending)).as("control: the plan of the delete alone, which reads the"
                        + " whole table with these statistics").contains("Seq Scan");

                long[] scansBefore = scans(connection);
                Pipeline removal = new Pipeline();
                OutboxStore.removeAll(new ArrayList<>(pending), removal);
                removal.run(new JdbcTemplate(new SingleConnectionDataSource(connection, true)));
                long[] scansAfter = scans(connection);

                assertThat(scansAfter[0] - scansBefore[0]).as("sequential scans of the outbox by the removal")
                        .isZero();
                assertThat(scansAfter[1] - scansBefore[1]).as("index scans of the outbox by the removal")
                        .isPositive();
                assertThat(longs(connection, "select count(*) from outbox_event")).containsExactly(0L);
            } finally {
                connection.rollback();
            }
        }
    }

    private static String plan(Connection connection, List<Long> ids) throws SQLException {
        try (PreparedStatement explain = connection.prepareStatement("explain " + OutboxStore.REMOVE_SQL)) {
            explain.setArray(1, connection.createArrayOf("bigint", ids.toArray()));
            StringBuilder plan = new StringBuilder();
            try (ResultSet rs = explain.executeQuery()) {
                while (rs.next()) {
                    plan.append(rs.getString(1)).append('\n');
                }
            }
            return plan.toString();
        }
    }

    /** This transaction's sequential and index scans of its outbox (counted as each statement ends). */
    private static long[] scans(Connection connection) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rs = statement.executeQuery("select seq_scan, idx_scan from pg_stat_xact_all_tables"
                     + " where relid = 'pg_temp.outbox_event'::regclass")) {
            assertThat(rs.next()).as("the temporary outbox's statistics").isTrue();
            return new long[] {rs.getLong(1), rs.getLong(2)};
        }
    }

    private static List<Long> longs(Connection connection, String sql) throws SQLException {
        List<Long> values = new ArrayList<>();
        try (Statement statement = connection.createStatement(); ResultSet rs = statement.executeQuery(sql)) {
            while (rs.next()) {
                values.add(rs.getLong(1));
            }
        }
        return values;
    }
}
