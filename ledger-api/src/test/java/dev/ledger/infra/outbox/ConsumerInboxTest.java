package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.infra.account.LedgerEntry;
import dev.ledger.infra.outbox.OutboxStore.PendingEntry;
import dev.ledger.infra.outbox.Tables.FeedRow;
import dev.ledger.infra.outbox.Tables.Snapshot;
import dev.ledger.infra.projection.LedgerProjector;
import dev.ledger.infra.projection.LedgerProjector.Delivery;
import dev.ledger.infra.projection.ProjectionMetrics;
import dev.ledger.support.IntegrationTest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Proves that the read-model consumer applies only each account's next version: it holds an event
 * that arrives ahead of a gap until its predecessor comes, drops a redelivered one, and refuses an
 * event whose balance does not follow, rolling back that account alone while the rest of the
 * batch is applied.
 */
class ConsumerInboxTest extends IntegrationTest {

    /** Outbox ids no real row has: the consumer only echoes them back, it never looks them up. */
    private static final AtomicLong FAKE_IDS = new AtomicLong(-1_000_000);

    @Autowired
    private LedgerProjector projector;

    @Autowired
    private ProjectionMetrics metrics;

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
    void a_version_ahead_of_a_gap_is_held_until_its_predecessor_comes_and_a_redelivery_is_dropped() {
        String account = unique("inbox");
        PendingEntry v1 = pending(opening(account));
        PendingEntry v2 = pending(deposit(account, 2, 10, 10));
        PendingEntry v3 = pending(withdrawal(account, 3, 4, 6));

        assertDelivered(projector.deliver(List.of(v1)), v1);
        assertThat(balanceOf(account)).containsExactly(0L, 1L);

        double gapsBefore = metrics.gapsHeld();
        double outOfOrderBefore = metrics.outOfOrderDetections();
        double duplicatesBefore = metrics.duplicatesDropped();

        // v3 before v2: taken (so the relay marks it) but held, not applied.
        assertDelivered(projector.deliver(List.of(v3)), v3);
        assertThat(metrics.gapsHeld()).isEqualTo(gapsBefore + 1);
        assertThat(metrics.outOfOrderDetections()).isEqualTo(outOfOrderBefore + 1);
        assertThat(metrics.duplicatesDropped()).isEqualTo(duplicatesBefore);
        assertThat(tables.longs("select version from projection_held where account_id = ?", account))
                .containsExactly(3L);
        assertThat(balanceOf(account)).as("balance, version").containsExactly(0L, 1L);
        assertThat(tables.feedOf(account)).extracting(FeedRow::version).containsExactly(1L);
        assertThat(statementVersions(account)).containsExactly(1L);

        // v2 arrives: it is applied, and the held v3 right after it.
        assertDelivered(projector.deliver(List.of(v2)), v2);
        List<FeedRow> feed = tables.feedOf(account);
        assertThat(feed).extracting(FeedRow::version).containsExactly(1L, 2L, 3L);
        assertThat(feed).extracting(FeedRow::balanceAfter).containsExactly(0L, 10L, 6L);
        assertThat(feed.get(1).position()).isGreaterThan(feed.get(0).position());
        assertThat(feed.get(2).position()).isGreaterThan(feed.get(1).position());
        assertThat(statementVersions(account)).containsExactly(1L, 2L, 3L);
        assertThat(tables.longs("select position from statement_line where account_id = ? order by version", account))
                .containsExactlyElementsOf(feed.stream().map(FeedRow::position).toList());
        assertThat(balanceOf(account)).as("balance, version").containsExactly(6L, 3L);
        assertThat(tables.number("select position from account_balance where account_id = ?", account))
                .isEqualTo(feed.get(2).position());
        assertThat(tables.number("select count(*) from projection_held where account_id = ?", account)).isZero();
        assertThat(metrics.gapsHeld()).isEqualTo(gapsBefore + 1);
        assertThat(metrics.outOfOrderDetections()).isEqualTo(outOfOrderBefore + 1);
        assertThat(metrics.duplicatesDropped()).isEqualTo(duplicatesBefore);

        // v2 again: a duplicate, dropped and counted, changing nothing.
        Snapshot before = tables.snapshot(List.of(account));
        assertDelivered(projector.deliver(List.of(pending(deposit(account, 2, 10, 10)))), null);
        assertThat(metrics.duplicatesDropped()).isEqualTo(duplicatesBefore + 1);
        assertThat(metrics.outOfOrderDetections()).isEqualTo(outOfOrderBefore + 2);
        assertThat(metrics.gapsHeld()).isEqualTo(gapsBefore + 1);
        assertThat(tables.snapshot(List.of(account))).isEqualTo(before);
    }

    @Test
    void an_event_whose_balance_does_not_follow_is_refused_and_rolls_back_only_its_own_account() {
        String applied = unique("inbox-ok");
        String refused = unique("inbox-bad");
        String refusedLate = unique("inbox-bad-late");
        String appliedAfter = unique("inbox-ok-after");
        assertDelivered(projector.deliver(List.of(pending(opening(refused)), pending(opening(refusedLate)))), null);
        Snapshot refusedBefore = tables.snapshot(List.of(refused, refusedLate));

        PendingEntry ok1 = pending(opening(applied));
        PendingEntry ok2 = pending(deposit(applied, 2, 25, 25));
        // A deposit of 10 on a balance of 0 that claims a balance of 999.
        PendingEntry bad = pending(deposit(refused, 2, 10, 999));
        // A good event followed by a bad one: the good one must be rolled back with it.
        PendingEntry lateGood = pending(deposit(refusedLate, 2, 10, 10));
        PendingEntry lateBad = pending(deposit(refusedLate, 3, 5, 999));
        PendingEntry after1 = pending(opening(appliedAfter));
        PendingEntry after2 = pending(deposit(appliedAfter, 2, 7, 7));

        Delivery delivery = projector.deliver(List.of(ok1, bad, lateGood, ok2, lateBad, after1, after2));

        assertThat(delivery.failed()).containsOnlyKeys(refused, refusedLate);
        assertThat(delivery.failed().get(refused).version()).isEqualTo(2);
        assertThat(delivery.failed().get(refused).error()).contains("does not follow");
        assertThat(delivery.failed().get(refusedLate).version()).isEqualTo(3);
        assertThat(delivery.deliveredIds()).containsExactlyInAnyOrder(ok1.id(), ok2.id(), after1.id(), after2.id());

        assertThat(tables.snapshot(List.of(refused, refusedLate))).as("the refused accounts' read side")
                .isEqualTo(refusedBefore);
        assertThat(balanceOf(applied)).as("balance, version").containsExactly(25L, 2L);
        assertThat(balanceOf(appliedAfter)).as("balance, version").containsExactly(7L, 2L);
        List<FeedRow> first = tables.feedOf(applied);
        List<FeedRow> last = tables.feedOf(appliedAfter);
        assertThat(first).extracting(FeedRow::version).containsExactly(1L, 2L);
        assertThat(last).extracting(FeedRow::version).containsExactly(1L, 2L);
        // The positions the rolled-back accounts had taken are handed out again: no hole in the feed.
        assertThat(first.get(1).position()).isEqualTo(first.get(0).position() + 1);
        assertThat(last.get(0).position()).isEqualTo(first.get(1).position() + 1);
        assertThat(last.get(1).position()).isEqualTo(last.get(0).position() + 1);
        assertThat(statementVersions(applied)).containsExactly(1L, 2L);
        assertThat(statementVersions(appliedAfter)).containsExactly(1L, 2L);
    }

    private void assertDelivered(Delivery delivery, PendingEntry only) {
        assertThat(delivery.failed()).as("failed accounts").isEmpty();
        if (only != null) {
            assertThat(delivery.deliveredIds()).containsExactly(only.id());
        }
    }

    private List<Long> balanceOf(String account) {
        List<List<Object>> rows = tables.rows("select balance, version from account_balance where account_id = ?",
                account);
        assertThat(rows).as("account_balance of %s", account).hasSize(1);
        return rows.get(0).stream().map(value -> ((Number) value).longValue()).toList();
    }

    private List<Long> statementVersions(String account) {
        return tables.longs("select version from statement_line where account_id = ? order by version", account);
    }

    private static PendingEntry pending(LedgerEntry entry) {
        return new PendingEntry(FAKE_IDS.getAndDecrement(), entry);
    }

    private static LedgerEntry opening(String account) {
        return new LedgerEntry(account, 1, LedgerEntry.ACCOUNT_OPENED, null, "EUR", 0, 0L, now(), null, null, null,
                "req-open", "consumer-inbox-test");
    }

    private static LedgerEntry deposit(String account, long version, long amount, long balanceAfter) {
        return entry(account, version, LedgerEntry.DEPOSIT, amount, balanceAfter);
    }

    private static LedgerEntry withdrawal(String account, long version, long amount, long balanceAfter) {
        return entry(account, version, LedgerEntry.WITHDRAWAL, amount, balanceAfter);
    }

    private static LedgerEntry entry(String account, long version, String type, long amount, long balanceAfter) {
        return new LedgerEntry(account, version, type, amount, "EUR", balanceAfter, null, now(),
                "entry-" + version, null, "ref " + version, "req-" + version, "consumer-inbox-test");
    }

    /** Microseconds: what a timestamp(6) column keeps, so a stored row compares equal to the entry. */
    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }
}
