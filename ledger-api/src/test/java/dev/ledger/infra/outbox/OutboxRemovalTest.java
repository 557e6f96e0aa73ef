package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.infra.outbox.Tables.FeedRow;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import dev.ledger.support.RelayPause;
import org.junit.jupiter.api.Test;

/**
 * Proves that the outbox holds undelivered rows only: a row stays until the relay round that
 * delivered it commits, and is then gone, while the feed keeps what it carried and when it was
 * delivered. (Until V8 delivered rows were marked and purged an hour later.)
 */
class OutboxRemovalTest extends IntegrationTest {

    @Test
    void rows_stay_while_undelivered_and_leave_once_delivered_with_the_feed_keeping_them() throws Exception {
        String account = unique("removal");
        try (Tables tables = Tables.open(); RelayPause pause = RelayPause.hold()) {
            created(ledger.openAccount(account, "EUR", 0));
            created(ledger.deposit(account, 100, "EUR"));
            created(ledger.withdraw(account, 30, "EUR"));
            assertThat(tables.pendingOf(account)).as("rows while no relay round can run")
                    .extracting(row -> row.entry().version()).containsExactly(1L, 2L, 3L);
            assertThat(tables.feedOf(account)).as("feed while no relay round can run").isEmpty();
        }

        Projections.awaitSettled();

        try (Tables tables = Tables.open()) {
            assertThat(tables.number("select count(*) from outbox_event where account_id = ?", account))
                    .as("outbox rows of the account once delivered").isZero();
            assertThat(tables.feedOf(account)).extracting(FeedRow::version).containsExactly(1L, 2L, 3L);
            assertThat(tables.feedOf(account)).extracting(FeedRow::balanceAfter).containsExactly(0L, 100L, 70L);
            assertThat(tables.number("select count(*) from event_feed where account_id = ? and relayed_at is not null",
                    account)).as("feed rows that say when they were delivered").isEqualTo(3);
        }
    }

    @Test
    void no_row_anywhere_in_the_outbox_is_marked_delivered() {
        String account = unique("removal-marks");
        created(ledger.openAccount(account, "EUR", 0));
        created(ledger.deposit(account, 5, "EUR"));
        Projections.awaitSettled();

        try (Tables tables = Tables.open()) {
            assertThat(tables.number("select count(*) from outbox_event where relayed_at is not null"))
                    .as("rows kept after delivery").isZero();
            assertThat(tables.number("select count(*) from pg_indexes where tablename = 'outbox_event'"
                    + " and indexname = 'outbox_event_relayed'")).as("the purge's index, dropped by V8").isZero();
        }
    }

    private static void created(Reply reply) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    }
}
