package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.infra.outbox.Tables.Snapshot;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Proves that delivered outbox rows are purged once they are older than the retention, oldest
 * first and in bounded statements, while rows delivered recently stay and nothing the read side
 * holds changes. It drives the application's own {@link OutboxStore} with its configured
 * properties (1 hour, 5000 rows per statement, 100 statements per run).
 */
class OutboxPurgeTest extends IntegrationTest {

    @Autowired
    private OutboxStore outbox;

    @Autowired
    private RelayProperties properties;

    private Tables tables;

    @BeforeEach
    void openTables() {
        tables = Tables.open();
    }

    @AfterEach
    void closeTables() {
        tables.close();
    }

    @Test
    void the_defaults_keep_delivered_rows_an_hour_and_bound_every_statement() {
        assertThat(properties.retention()).isEqualTo(Duration.ofHours(1));
        assertThat(properties.purgeBatchSize()).isEqualTo(5000);
        assertThat(properties.purgeBatchesPerRun()).isEqualTo(100);
    }

    @Test
    void rows_delivered_before_the_retention_are_purged_and_the_read_side_keeps_everything() {
        String old = unique("purge-old");
        String fresh = unique("purge-fresh");
        created(ledger.openAccount(old, "EUR", 0));
        created(ledger.deposit(old, 100, "EUR"));
        created(ledger.deposit(old, 250, "EUR"));
        created(ledger.openAccount(fresh, "EUR", 0));
        created(ledger.deposit(fresh, 70, "EUR"));
        Projections.awaitSettled();
        long retention = properties.retention().toSeconds();
        tables.number("with aged as (update outbox_event set relayed_at = now() - make_interval(secs => ?)"
                + " where account_id = ? returning 1) select count(*) from aged", retention + 60, old);
        tables.number("with aged as (update outbox_event set relayed_at = now() - make_interval(secs => ?)"
                + " where account_id = ? returning 1) select count(*) from aged", retention - 600, fresh);
        Snapshot before = tables.snapshot(List.of(old, fresh));

        int purged = outbox.purgeRelayed();

        assertThat(purged).isGreaterThanOrEqualTo(3);
        assertThat(tables.number("select count(*) from outbox_event where account_id = ?", old)).isZero();
        assertThat(tables.number("select count(*) from outbox_event where account_id = ?", fresh)).isEqualTo(2);
        assertThat(tables.snapshot(List.of(old, fresh))).isEqualTo(before);
        assertThat(ledger.deposit(old, 5, "EUR").status()).isEqualTo(201);
        Projections.awaitSettled();
        assertThat(tables.feedOf(old)).extracting(Tables.FeedRow::version).containsExactly(1L, 2L, 3L, 4L);
    }

    @Test
    void a_run_deletes_more_than_one_statement_allows_and_leaves_rows_not_delivered_alone() {
        String account = unique("purge-many");
        int rows = properties.purgeBatchSize() * 2 + 17;
        // An undelivered row of an account parked behind a failed delivery, so the relay leaves it
        // where it is: old as it is, the purge must not take it.
        tables.number("with parked as (insert into relay_dead_letter (account_id, version, error, attempts, parked_at)"
                + " values (?, ?, 'test', 1, now()) returning 1) select count(*) from parked", account, rows + 1L);
        try {
            long inserted = tables.number("""
                    with added as (
                        insert into outbox_event (account_id, version, type, amount, currency, balance_after,
                                                  occurred_at, created_at, relayed_at)
                        select ?, n, 'DEPOSITED', 1, 'EUR', n, now(), now() - interval '3 hours',
                               case when n <= ? then now() - interval '2 hours' end
                        from generate_series(1, ?) as n
                        returning 1)
                    select count(*) from added""", account, rows, rows + 1);
            assertThat(inserted).isEqualTo(rows + 1);

            int purged = outbox.purgeRelayed();

            assertThat(purged).isGreaterThanOrEqualTo(rows);
            assertThat(tables.longs("select version from outbox_event where account_id = ?", account))
                    .containsExactly((long) rows + 1);
            assertThat(outbox.purgeRelayed()).isZero();
        } finally {
            tables.number("with gone as (delete from outbox_event where account_id = ? returning 1)"
                    + " select count(*) from gone", account);
            tables.number("with gone as (delete from relay_dead_letter where account_id = ? returning 1)"
                    + " select count(*) from gone", account);
        }
    }

    private static void created(Reply reply) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    }
}
