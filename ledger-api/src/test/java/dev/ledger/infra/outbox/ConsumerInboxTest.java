package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.infra.account.AccountHistory;
import dev.ledger.infra.account.LedgerEntry;
import dev.ledger.infra.Pipeline;
import dev.ledger.infra.outbox.OutboxStore.PendingAccounts;
import dev.ledger.infra.outbox.OutboxStore.PendingEntry;
import dev.ledger.infra.outbox.Tables.FeedRow;
import dev.ledger.infra.outbox.Tables.Snapshot;
import dev.ledger.infra.projection.LedgerProjector;
import dev.ledger.infra.projection.LedgerProjector.Delivery;
import dev.ledger.infra.projection.LedgerProjector.ReadAlongside;
import dev.ledger.infra.projection.ProjectionMetrics;
import dev.ledger.infra.reconciliation.Reconciliation;
import dev.ledger.infra.reconciliation.Reconciliation.Mismatch;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import dev.ledger.support.RelayPause;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Proves that the read-model consumer applies only each account's next version: it holds an event
 * that arrives ahead of a gap until its predecessor comes, drops a redelivered one, and refuses an
 * event whose balance does not follow, rolling back that account alone while the rest of the
 * batch is applied.
 */
class ConsumerInboxTest extends IntegrationTest {

    /*
     * Every event the consumer applies here is a real one, committed to the event store and the
     * outbox over the API while the relay is paused; the test hands the pending outbox rows to the
     * consumer itself, in the order it needs. Only refused events are made up, and the test checks
     * that they leave nothing on the read side: all test classes share one database, and a read-side
     * row without its event in the store would break every later reconciliation and rebuild.
     */

    private static final Duration WAIT = Duration.ofSeconds(20);

    /** Outbox ids no real row has, for the made-up events: the consumer only echoes them back. */
    private static final AtomicLong FAKE_IDS = new AtomicLong(-1_000_000);

    @Autowired
    private LedgerProjector projector;

    @Autowired
    private ProjectionMetrics metrics;

    @Autowired
    private AccountHistory history;

    @Autowired
    private Reconciliation reconciliation;

    @Autowired
    private PlatformTransactionManager transactionManager;

    @Autowired
    private JdbcTemplate jdbc;

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
    void a_version_ahead_of_a_gap_is_held_until_its_predecessor_comes_and_a_redelivery_is_dropped() throws Exception {
        String account = unique("inbox");
        double gapsBefore;
        double outOfOrderBefore;
        double duplicatesBefore;
        Snapshot delivered;

        try (RelayPause pause = RelayPause.hold()) {
            created(ledger.openAccount(account, "EUR", 0));
            created(ledger.deposit(account, 10, "EUR"));
            created(ledger.deposit(account, 5, "EUR"));
            List<PendingEntry> pending = tables.pendingOf(account);
            assertThat(pending).as("outbox rows waiting behind the paused relay")
                    .extracting(row -> row.entry().version()).containsExactly(1L, 2L, 3L);
            PendingEntry v1 = pending.get(0);
            PendingEntry v2 = pending.get(1);
            PendingEntry v3 = pending.get(2);

            assertDelivered(projector.deliver(List.of(v1)), v1);
            assertThat(balanceOf(account)).as("balance, version").containsExactly(0L, 1L);

            gapsBefore = metrics.gapsHeld();
            outOfOrderBefore = metrics.outOfOrderDetections();
            duplicatesBefore = metrics.duplicatesDropped();

            // v3 before v2: taken (so the relay would mark it) but held, not applied.
            assertDelivered(projector.deliver(List.of(v3)), v3);
            assertThat(metrics.gapsHeld()).isEqualTo(gapsBefore + 1);
            assertThat(metrics.outOfOrderDetections()).isEqualTo(outOfOrderBefore + 1);
            assertThat(metrics.duplicatesDropped()).isEqualTo(duplicatesBefore);
            assertThat(tables.longs("select version from projection_held where account_id = ?", account))
                    .containsExactly(3L);
            assertThat(balanceOf(account)).as("balance, version").containsExactly(0L, 1L);
            assertThat(tables.feedOf(account)).extracting(FeedRow::version).containsExactly(1L);
            assertThat(feedVersions(account)).containsExactly(1L);

            // v2 arrives: it is applied, and the held v3 right after it.
            assertDelivered(projector.deliver(List.of(v2)), v2);
            List<FeedRow> feed = tables.feedOf(account);
            assertThat(feed).extracting(FeedRow::version).containsExactly(1L, 2L, 3L);
            assertThat(feed).extracting(FeedRow::balanceAfter).containsExactly(0L, 10L, 15L);
            assertThat(feed.get(1).position()).isGreaterThan(feed.get(0).position());
            assertThat(feed.get(2).position()).isGreaterThan(feed.get(1).position());
            assertThat(feedVersions(account)).containsExactly(1L, 2L, 3L);
            assertThat(balanceOf(account)).as("balance, version").containsExactly(15L, 3L);
            assertThat(tables.number("select position from account_balance where account_id = ?", account))
                    .isEqualTo(feed.get(2).position());
            assertThat(tables.number("select count(*) from projection_held where account_id = ?", account)).isZero();
            assertThat(metrics.gapsHeld()).isEqualTo(gapsBefore + 1);
            assertThat(metrics.outOfOrderDetections()).isEqualTo(outOfOrderBefore + 1);
            assertThat(metrics.duplicatesDropped()).isEqualTo(duplicatesBefore);

            // v2 again: a duplicate, taken, dropped and counted, changing nothing.
            delivered = tables.snapshot(List.of(account));
            assertDelivered(projector.deliver(List.of(v2)), v2);
            assertThat(metrics.duplicatesDropped()).isEqualTo(duplicatesBefore + 1);
            assertThat(metrics.outOfOrderDetections()).isEqualTo(outOfOrderBefore + 2);
            assertThat(metrics.gapsHeld()).isEqualTo(gapsBefore + 1);
            assertThat(tables.snapshot(List.of(account))).isEqualTo(delivered);
            assertThat(tables.pendingOf(account)).as("rows still unmarked: only the paused relay marks them")
                    .hasSize(3);
        }

        // The relay runs again: it delivers all three rows, which the consumer already has, and marks them.
        awaitRelayed(account);
        assertThat(tables.snapshot(List.of(account))).as("read side after the relay's redelivery")
                .isEqualTo(delivered);
        assertThat(metrics.duplicatesDropped()).as("the relay's redeliveries dropped").isEqualTo(duplicatesBefore + 4);
        assertThat(metrics.outOfOrderDetections()).isEqualTo(outOfOrderBefore + 5);
        assertThat(metrics.gapsHeld()).isEqualTo(gapsBefore + 1);
        assertMatchesEventStore(account);
        assertReconciled(List.of(account));
    }

    @Test
    void in_order_batches_are_applied_at_once_with_every_column_as_the_store_has_it() throws Exception {
        String account = unique("inbox-at-once");
        String other = unique("inbox-at-once-other");
        try (RelayPause pause = RelayPause.hold()) {
            created(ledger.openAccount(account, "EUR", 300));
            created(ledger.deposit(account, 25, "EUR"));
            created(ledger.withdraw(account, 40, "EUR"));
            created(ledger.openAccount(other, "EUR", 0));
            double carefulBefore = metrics.carefulDeliveries();

            // Openings: balances inserted.
            List<PendingEntry> first = pendingOf(account, other);
            assertThat(first).hasSize(4);
            Delivery opened = projector.deliver(first);
            assertThat(opened.failed()).isEmpty();
            assertThat(opened.deliveredIds()).containsExactlyElementsOf(first.stream().map(PendingEntry::id).toList());
            assertThat(balanceOf(account)).as("balance, version").containsExactly(-15L, 3L);
            assertThat(balanceOf(other)).as("balance, version").containsExactly(0L, 1L);
            assertThat(tables.number("select overdraft_limit from account_balance where account_id = ?", account))
                    .isEqualTo(300);

            // Next versions: balances updated.
            created(ledger.deposit(account, 7, "EUR"));
            created(ledger.deposit(other, 3, "EUR"));
            created(ledger.deposit(other, 4, "EUR"));
            List<PendingEntry> second = pendingOf(account, other).stream().filter(row -> !first.contains(row)).toList();
            assertThat(second).hasSize(3);
            assertThat(projector.deliver(second).deliveredIds())
                    .containsExactlyElementsOf(second.stream().map(PendingEntry::id).toList());
            assertThat(balanceOf(account)).as("balance, version").containsExactly(-8L, 4L);
            assertThat(balanceOf(other)).as("balance, version").containsExactly(7L, 3L);
            assertThat(tables.number("select position from account_balance where account_id = ?", other))
                    .isEqualTo(tables.feedOf(other).get(2).position());

            assertThat(metrics.carefulDeliveries()).as("deliveries that went the careful way")
                    .isEqualTo(carefulBefore);
            assertMatchesEventStore(account);
            assertMatchesEventStore(other);
        }
        awaitRelayed(account);
        awaitRelayed(other);
        assertReconciled(List.of(account, other));
    }

    private List<PendingEntry> pendingOf(String... accounts) {
        return Arrays.stream(accounts).flatMap(account -> tables.pendingOf(account).stream())
                .sorted(Comparator.comparingLong(PendingEntry::id)).toList();
    }

    @Test
    void an_event_whose_balance_does_not_follow_is_refused_and_rolls_back_only_its_own_account() throws Exception {
        String applied = unique("inbox-ok");
        String settled = unique("inbox-settled");
        String neverOpened = unique("inbox-never-opened");
        String neverOpenedRich = unique("inbox-never-opened-rich");
        List<String> fakes = List.of(neverOpened, neverOpenedRich);

        created(ledger.openAccount(settled, "EUR", 0));
        created(ledger.deposit(settled, 40, "EUR"));
        Projections.awaitSettled();
        assertThat(balanceOf(settled)).as("balance, version").containsExactly(40L, 2L);
        Snapshot settledBefore = tables.snapshot(List.of(settled));
        double duplicatesBefore;
        Snapshot appliedAfterDelivery;

        try (RelayPause pause = RelayPause.hold()) {
            created(ledger.openAccount(applied, "EUR", 0));
            created(ledger.deposit(applied, 25, "EUR"));
            // The settled account's real version 3, which the test leaves to the relay.
            created(ledger.deposit(settled, 5, "EUR"));
            List<PendingEntry> real = tables.pendingOf(applied);
            assertThat(real).extracting(row -> row.entry().version()).containsExactly(1L, 2L);
            assertThat(tables.pendingOf(settled)).extracting(row -> row.entry().version()).containsExactly(3L);

            // Version 1 of an account nobody opened, and not an opening.
            PendingEntry notAnOpening = fake(entry(neverOpened, 1, LedgerEntry.DEPOSIT, 10L, 10, null));
            // Version 1 of another account nobody opened: an opening that claims a balance.
            PendingEntry richOpening = fake(entry(neverOpenedRich, 1, LedgerEntry.ACCOUNT_OPENED, null, 500, 0L));
            // The settled account's next version: a deposit of 10 on a balance of 40 that claims 999.
            PendingEntry doesNotFollow = fake(entry(settled, 3, LedgerEntry.DEPOSIT, 10L, 999, null));

            long feedEnd = tables.number("select coalesce(max(position), 0) from event_feed");
            duplicatesBefore = metrics.duplicatesDropped();
            Delivery delivery = projector.deliver(
                    List.of(real.get(0), notAnOpening, doesNotFollow, richOpening, real.get(1)));

            assertThat(delivery.failed()).containsOnlyKeys(neverOpened, neverOpenedRich, settled);
            assertThat(delivery.failed().get(neverOpened).version()).isEqualTo(1);
            assertThat(delivery.failed().get(neverOpened).error()).contains("is not an opening");
            assertThat(delivery.failed().get(neverOpenedRich).version()).isEqualTo(1);
            assertThat(delivery.failed().get(neverOpenedRich).error()).contains("is not an opening");
            assertThat(delivery.failed().get(settled).version()).isEqualTo(3);
            assertThat(delivery.failed().get(settled).error()).contains("does not follow");
            assertThat(delivery.deliveredIds()).containsExactly(real.get(0).id(), real.get(1).id());

            assertNothingOnTheReadSide(fakes);
            assertThat(tables.snapshot(List.of(settled))).as("the settled account's read side")
                    .isEqualTo(settledBefore);
            assertThat(balanceOf(applied)).as("balance, version").containsExactly(25L, 2L);
            List<FeedRow> feed = tables.feedOf(applied);
            assertThat(feed).extracting(FeedRow::version).containsExactly(1L, 2L);
            // The positions the refused events had taken are handed out again: no hole in the feed.
            assertThat(feed).extracting(FeedRow::position).containsExactly(feedEnd + 1, feedEnd + 2);
            assertThat(tables.number("select max(position) from event_feed")).isEqualTo(feedEnd + 2);
            assertThat(feedVersions(applied)).containsExactly(1L, 2L);
            appliedAfterDelivery = tables.snapshot(List.of(applied));
        }

        // The relay runs again and delivers the real rows as usual: the applied account's again
        // (dropped as duplicates), the settled account's real version 3 for the first time.
        awaitRelayed(applied);
        awaitRelayed(settled);
        assertThat(tables.snapshot(List.of(applied))).as("read side after the relay's redelivery")
                .isEqualTo(appliedAfterDelivery);
        assertThat(metrics.duplicatesDropped()).as("the relay's redeliveries dropped").isEqualTo(duplicatesBefore + 2);
        assertThat(balanceOf(settled)).as("balance, version").containsExactly(45L, 3L);
        assertThat(tables.number("select count(*) from relay_dead_letter where account_id = any(?)",
                List.of(applied, settled, neverOpened, neverOpenedRich))).as("parked accounts").isZero();
        assertNothingOnTheReadSide(fakes);
        assertThat(fakes).noneMatch(history::exists);
        assertMatchesEventStore(applied);
        assertMatchesEventStore(settled);
        assertReconciled(List.of(applied, settled, neverOpened, neverOpenedRich));
    }

    /**
     * The common path reads the balances it applies to without locking their rows (the consumer's
     * lock keeps every other writer of the read models out, and each update requires the version
     * read): while a delivery's transaction is open, another connection can still lock the row.
     */
    @Test
    void the_common_delivery_reads_the_balances_without_locking_their_rows() throws Exception {
        String account = unique("unlocked");
        try (RelayPause pause = RelayPause.hold()) {
            created(ledger.openAccount(account, "EUR", 0));
            created(ledger.deposit(account, 10, "EUR"));
            List<PendingEntry> pending = tables.pendingOf(account);
            assertThat(pending).extracting(row -> row.entry().version()).containsExactly(1L, 2L);
            assertDelivered(projector.deliver(List.of(pending.get(0))), pending.get(0));

            Boolean lockable = new TransactionTemplate(transactionManager).execute(status -> {
                Delivery delivery = projector.deliverInCurrentTransaction(List.of(pending.get(1)), new ArrayList<>());
                assertThat(delivery).as("the common path took the batch").isNotNull();
                status.setRollbackOnly();
                return rowLockableNow(account);
            });

            assertThat(lockable).as("the balance row, while the delivery that read it is open").isTrue();
            assertThat(balanceOf(account)).as("balance, version: the rolled-back delivery left nothing")
                    .containsExactly(0L, 1L);
        }
        awaitRelayed(account);
        assertMatchesEventStore(account);
    }

    /**
     * The read models a relay round reads in its first round trip, with the rows
     * ({@link LedgerProjector#readAlongside}), serve a batch only when every account of the batch
     * is among those read: for any other batch the delivery reads them itself, and either way
     * applies the batch.
     */
    @Test
    void read_models_read_with_the_rows_serve_only_a_batch_whose_accounts_they_read() throws Exception {
        String read = unique("alongside-read");
        String unread = unique("alongside-unread");
        try (RelayPause pause = RelayPause.hold()) {
            created(ledger.openAccount(read, "EUR", 0));
            created(ledger.openAccount(unread, "EUR", 0));
            List<PendingEntry> openings = pendingOf(read, unread);
            assertThat(projector.deliver(openings).failed()).isEmpty();
            created(ledger.deposit(read, 11, "EUR"));
            created(ledger.deposit(unread, 13, "EUR"));
            PendingEntry readDeposit = tables.pendingOf(read).get(1);
            PendingEntry unreadDeposit = tables.pendingOf(unread).get(1);
            // Reads the one account, as if it were the only one of the outbox's head.
            PendingAccounts onlyRead = new PendingAccounts(
                    "select account_id from account_balance where account_id = '" + read + "' limit ?", 10);
            TransactionTemplate transactions = new TransactionTemplate(transactionManager);

            boolean[] used = {true};
            transactions.executeWithoutResult(status -> {
                Pipeline first = new Pipeline();
                ReadAlongside alongside = projector.readAlongside(first, onlyRead);
                first.run(jdbc);
                Delivery delivery = projector.deliverInCurrentTransaction(List.of(readDeposit, unreadDeposit),
                        new ArrayList<>(), alongside);
                assertThat(delivery).as("the common path took the batch").isNotNull();
                used[0] = alongside.used();
                status.setRollbackOnly();
            });
            assertThat(used[0]).as("read models read for one of the batch's two accounts, used").isFalse();

            transactions.executeWithoutResult(status -> {
                Pipeline first = new Pipeline();
                ReadAlongside alongside = projector.readAlongside(first, onlyRead);
                first.run(jdbc);
                Delivery delivery = projector.deliverInCurrentTransaction(List.of(readDeposit), new ArrayList<>(),
                        alongside);
                assertThat(delivery).as("the common path took the batch").isNotNull();
                used[0] = alongside.used();
            });
            assertThat(used[0]).as("read models read for the batch's one account, used").isTrue();
            assertThat(balanceOf(read)).as("balance, version").containsExactly(11L, 2L);
            assertThat(balanceOf(unread)).as("balance, version: not delivered yet").containsExactly(0L, 1L);
        }
        awaitRelayed(read);
        awaitRelayed(unread);
        assertMatchesEventStore(read);
        assertMatchesEventStore(unread);
    }

    /** Whether another connection can lock the account's balance row without waiting. */
    private static boolean rowLockableNow(String account) {
        try (Connection other = TestDatabase.get().connect();
             PreparedStatement lock = other.prepareStatement(
                     "select version from account_balance where account_id = ? for update nowait")) {
            lock.setString(1, account);
            lock.executeQuery().close();
            return true;
        } catch (SQLException failure) {
            if ("55P03".equals(failure.getSQLState())) {
                return false;
            }
            throw new IllegalStateException(failure);
        }
    }

    /** No row of any read-side table names these accounts. */
    private void assertNothingOnTheReadSide(List<String> accounts) {
        for (String table : List.of("account_balance", "event_feed", "projection_held")) {
            assertThat(tables.number("select count(*) from " + table + " where account_id = any(?)", accounts))
                    .as("rows of %s in %s", accounts, table).isZero();
        }
    }

    /**
     * The account's feed rows and balance are exactly its stream in the event store: one feed row
     * per event, at rising positions, and the balance and version of its last event.
     */
    private void assertMatchesEventStore(String account) {
        List<LedgerEntry> stored = history.page(account, 0, AccountHistory.PAGE_LIMIT_MAX).stream()
                .map(LedgerEntry::of).toList();
        assertThat(stored).as("events of %s in the store", account).isNotEmpty();
        assertThat(tables.feedEntriesOf(account)).as("feed of %s", account).isEqualTo(stored);

        List<FeedRow> feed = tables.feedOf(account);
        for (int i = 1; i < feed.size(); i++) {
            assertThat(feed.get(i).position()).as("position of %s version %d", account, i + 1)
                    .isGreaterThan(feed.get(i - 1).position());
        }
        LedgerEntry opening = stored.get(0);
        LedgerEntry last = stored.get(stored.size() - 1);
        assertThat(tables.rows("select currency, balance, overdraft_limit, version, position from account_balance"
                + " where account_id = ?", account)).as("account_balance of %s", account).containsExactly(List.of(
                opening.currency(), last.balanceAfter(), opening.overdraftLimit(), last.version(),
                feed.get(feed.size() - 1).position()));
    }

    /** Reconciling the store with the read model finds nothing wrong with these accounts. */
    private void assertReconciled(List<String> accounts) {
        Reconciliation.Report report = reconciliation.run();
        assertThat(report.mismatches()).extracting(Mismatch::accountId).as("reconciliation mismatches")
                .doesNotContainAnyElementsOf(accounts);
    }

    /** Waits, bounded, until the relay has delivered and marked every outbox row of the account. */
    private void awaitRelayed(String account) {
        Tables.await(WAIT, "the relay to deliver and mark every row of " + account, () -> tables.number(
                "select count(*) from outbox_event where account_id = ? and relayed_at is null", account) == 0);
    }

    private static void assertDelivered(Delivery delivery, PendingEntry only) {
        assertThat(delivery.failed()).as("failed accounts").isEmpty();
        assertThat(delivery.deliveredIds()).containsExactly(only.id());
    }

    private static void created(Reply reply) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    }

    private List<Long> balanceOf(String account) {
        List<List<Object>> rows = tables.rows("select balance, version from account_balance where account_id = ?",
                account);
        assertThat(rows).as("account_balance of %s", account).hasSize(1);
        return rows.get(0).stream().map(value -> ((Number) value).longValue()).toList();
    }

    private List<Long> feedVersions(String account) {
        return tables.longs("select version from event_feed where account_id = ? order by version", account);
    }

    /** A made-up event, not in the store or the outbox, in a unit (request) of its own. */
    private static PendingEntry fake(LedgerEntry entry) {
        return new PendingEntry(FAKE_IDS.getAndDecrement(), entry);
    }

    private static LedgerEntry entry(String account, long version, String type, Long amount, long balanceAfter,
                                     Long overdraftLimit) {
        return new LedgerEntry(account, version, type, amount, "EUR", balanceAfter, overdraftLimit,
                Instant.now().truncatedTo(ChronoUnit.MICROS), amount == null ? null : "entry-" + UUID.randomUUID(),
                null, null, UUID.randomUUID().toString(), "consumer-inbox-test");
    }
}
