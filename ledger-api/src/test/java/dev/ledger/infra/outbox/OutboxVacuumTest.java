package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.support.IntegrationTest;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/**
 * A vacuum of the outbox leaves the empty pages at the end of its file where they are (V16): it
 * takes no ACCESS EXCLUSIVE lock to cut them off, a lock that would hold up every write group's
 * outbox insert and every relay round while it lasted. Delivered rows are deleted, so after a burst
 * the end of the file is empty pages, which is what this test leaves there.
 */
class OutboxVacuumTest extends IntegrationTest {

    /** Enough rows that they cannot all fit in free space the table already has: about 6 MB. */
    private static final int ROWS = 20_000;

    @Test
    void a_vacuum_keeps_the_empty_pages_a_delivered_burst_leaves_at_the_end_of_the_file() throws Exception {
        String account = unique("vacuum");
        try (Connection connection = TestDatabase.get().connect(); Statement sql = connection.createStatement()) {
            assertThat(connection.getAutoCommit()).as("VACUUM runs outside a transaction").isTrue();
            long before = size(sql);
            // Inserted and deleted in one transaction, as a burst delivered at once would leave them:
            // dead to everyone the moment they commit, so no relay round ever sees them.
            sql.execute("""
                    do $$ begin
                        insert into outbox_event (account_id, version, type, amount, currency, balance_after, occurred_at)
                        select '%1$s', n, 'DEPOSIT', 1, 'EUR', n, now() from generate_series(1, %2$d) as n;
                        delete from outbox_event where account_id = '%1$s';
                    end $$""".formatted(account, ROWS));
            long grown = size(sql);
            assertThat(grown).as("the file's size after the burst (was %d bytes)", before).isGreaterThan(before);

            sql.execute("vacuum outbox_event");

            assertThat(size(sql)).as("the file's size after a vacuum of the emptied pages at its end")
                    .isEqualTo(grown);
            assertThat(count(sql, "select count(*) from outbox_event where account_id = '" + account + "'"))
                    .as("rows of the burst left").isZero();
            assertThat(count(sql, "select count(*) from pg_class where relname = 'outbox_event'"
                    + " and relnamespace = current_schema()::regnamespace"
                    + " and 'vacuum_truncate=false' = any(reloptions)")).as("the table's vacuum_truncate option")
                    .isEqualTo(1);
        }
    }

    private static long size(Statement sql) throws Exception {
        return count(sql, "select pg_relation_size('outbox_event')");
    }

    private static long count(Statement sql, String query) throws Exception {
        try (ResultSet rs = sql.executeQuery(query)) {
            assertThat(rs.next()).isTrue();
            return rs.getLong(1);
        }
    }
}
