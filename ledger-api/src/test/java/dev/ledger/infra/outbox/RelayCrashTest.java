package dev.ledger.infra.outbox;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.infra.outbox.OutboxStore.PendingEntry;
import dev.ledger.infra.outbox.Tables.FeedRow;
import dev.ledger.infra.outbox.Tables.Snapshot;
import dev.ledger.infra.projection.LedgerProjector.Delivery;
import dev.ledger.infra.projection.ProjectionMetrics;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Proves that a relay round that crashes after the consumer committed a delivery and before the
 * rows were removed from the outbox leaves the read model exactly as one delivery would: the
 * redelivery is dropped by the consumer's inbox and counted, and the rows end up removed.
 */
class RelayCrashTest extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @Autowired
    private OutboxRelay relay;

    @Autowired
    private OutboxStore outboxStore;

    @Autowired
    private PlatformTransactionManager transactionManager;

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
    void a_round_that_crashes_after_delivery_and_before_removing_its_rows_is_redelivered_without_changing_the_read_model() {
        List<String> accounts = List.of(unique("crash-a"), unique("crash-b"));
        double duplicatesBefore = metrics.duplicatesDropped();
        double gapsBefore = metrics.gapsHeld();

        Crash crash = crashAfterDelivery(() -> {
            for (String account : accounts) {
                assertCreated(ledger.openAccount(account, "EUR", 0));
                assertCreated(ledger.deposit(account, 100, "EUR"));
                assertCreated(ledger.withdraw(account, 30, "EUR"));
            }
        }, accounts, null);

        assertThat(crash.batch()).as("the crashed round's batch").hasSize(6);
        assertThat(metrics.duplicatesDropped()).as("duplicates on first delivery").isEqualTo(duplicatesBefore);
        awaitRemoved(crash.batch());

        assertThat(tables.snapshot(accounts)).as("read side after the redelivery").isEqualTo(crash.afterDelivery());
        assertThat(metrics.duplicatesDropped()).as("redelivered events dropped")
                .isEqualTo(duplicatesBefore + crash.batch().size());
        assertThat(metrics.gapsHeld()).isEqualTo(gapsBefore);
        for (String account : accounts) {
            List<FeedRow> feed = tables.feedOf(account);
            assertThat(feed).extracting(FeedRow::version).containsExactly(1L, 2L, 3L);
            assertThat(feed).extracting(FeedRow::balanceAfter).containsExactly(0L, 100L, 70L);
            Reply read = ledger.get("/api/v1/accounts/" + account + "?minVersion=3");
            assertThat(read.status()).as(read.body()).isEqualTo(200);
            assertThat(read.json().get("balance").asLong()).isEqualTo(70);
        }
    }

    @Test
    void a_redelivery_that_also_carries_new_events_drops_only_the_duplicates_and_applies_the_rest_in_order() {
        String account = unique("crash-mixed");
        double duplicatesBefore = metrics.duplicatesDropped();
        double gapsBefore = metrics.gapsHeld();

        Crash crash = crashAfterDelivery(() -> {
            assertCreated(ledger.openAccount(account, "EUR", 0));
            assertCreated(ledger.deposit(account, 50, "EUR"));
        }, List.of(account), () -> {
            // Written after the crashed delivery, before the crash: the redelivery carries these too.
            assertCreated(ledger.deposit(account, 7, "EUR"));
            assertCreated(ledger.withdraw(account, 20, "EUR"));
        });

        assertThat(crash.batch()).hasSize(2);
        awaitRemoved(crash.batch());
        Projections.awaitSettled();

        assertThat(metrics.duplicatesDropped()).as("redelivered events dropped").isEqualTo(duplicatesBefore + 2);
        assertThat(metrics.gapsHeld()).isEqualTo(gapsBefore);
        Snapshot after = tables.snapshot(List.of(account));
        Snapshot delivered = crash.afterDelivery();
        assertThat(after.feed()).hasSize(4);
        assertThat(after.feed().subList(0, 2)).as("the first delivery's feed rows, unchanged, come first")
                .isEqualTo(delivered.feed());
        List<FeedRow> feed = tables.feedOf(account);
        assertThat(feed).extracting(FeedRow::version).containsExactly(1L, 2L, 3L, 4L);
        assertThat(feed).extracting(FeedRow::balanceAfter).containsExactly(0L, 50L, 57L, 37L);
        for (int i = 1; i < feed.size(); i++) {
            assertThat(feed.get(i).position()).isGreaterThan(feed.get(i - 1).position());
        }
        assertThat(tables.rows("select balance, version from account_balance where account_id = ?", account))
                .containsExactly(List.of(37L, 4L));
    }

    /**
     * Holds the relay's lock so the service's worker stays out, runs {@code write} (committed
     * writes), delivers the pending rows of {@code accounts} to the consumer (which commits), takes
     * a snapshot of the read side, runs {@code beforeCrash}, and then rolls the round back instead
     * of removing the rows: what a relay that died between the two commits leaves behind.
     */
    private Crash crashAfterDelivery(Runnable write, List<String> accounts, Runnable beforeCrash) {
        Projections.awaitSettled();
        Crash crash = new TransactionTemplate(transactionManager).execute(status -> {
            // The worker takes the lock for a moment on every poll; wait for a turn, bounded.
            Tables.await(WAIT, "the relay lock", outboxStore::tryRelayLock);
            write.run();
            List<PendingEntry> batch = relay.pendingBatch();
            assertThat(batch).as("pending rows while the lock is held")
                    .allSatisfy(pending -> assertThat(accounts).contains(pending.entry().accountId()));
            Delivery delivery = relay.consumer().deliver(batch);
            assertThat(delivery.failed()).isEmpty();
            assertThat(delivery.deliveredIds()).containsExactlyInAnyOrderElementsOf(
                    batch.stream().map(PendingEntry::id).toList());
            // The consumer has committed; the rows are still in the outbox.
            Snapshot afterDelivery = tables.snapshot(accounts);
            Map<String, Long> delivered = batch.stream().collect(Collectors.groupingBy(
                    pending -> pending.entry().accountId(), Collectors.counting()));
            delivered.forEach((account, count) -> assertThat(tables.feedOf(account))
                    .as("feed of %s after the crashed delivery", account).hasSize(count.intValue()));
            assertThat(tables.number("select count(*) from outbox_event where id = any(?) and relayed_at is null",
                    ids(batch))).as("rows still pending after delivery").isEqualTo(batch.size());
            if (beforeCrash != null) {
                beforeCrash.run();
            }
            status.setRollbackOnly();
            return new Crash(batch, afterDelivery);
        });
        return crash;
    }

    /** Waits until the service's relay has delivered the rows again and removed them from the outbox. */
    private void awaitRemoved(List<PendingEntry> batch) {
        Tables.await(WAIT, "the crashed batch delivered and removed", () -> tables.number(
                "select count(*) from outbox_event where id = any(?)", ids(batch)) == 0);
    }

    private static List<Long> ids(List<PendingEntry> batch) {
        return batch.stream().map(PendingEntry::id).toList();
    }

    private static void assertCreated(Reply reply) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
    }

    private record Crash(List<PendingEntry> batch, Snapshot afterDelivery) {
    }
}
