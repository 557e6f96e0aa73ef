package dev.ledger.infra.outbox;

import dev.ledger.infra.outbox.OutboxStore.PendingEntry;
import dev.ledger.infra.projection.LedgerProjector;
import dev.ledger.infra.projection.LedgerProjector.Delivery;
import dev.ledger.infra.projection.LedgerProjector.ReadAlongside;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Delivers outbox rows to the consumer in per-account version order, at least once.
 *
 * <p>A round holds a transaction-scoped advisory lock, so across all workers and instances one
 * round runs at a time. It reads the oldest undelivered rows, has the consumer apply them in the
 * round's transaction, and removes them from the outbox in the same commit. A batch the consumer
 * cannot apply at once goes again through a careful round, whose consumer commits in transactions
 * of its own: there a crash between the two commits delivers the same rows again, and the consumer
 * drops what it already has. An account whose delivery failed is parked with its failed version:
 * its later rows wait behind it, every other account goes on.
 */
@Component
public class OutboxRelay {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

    private final OutboxStore outbox;
    private final LedgerProjector consumer;
    private final TransactionTemplate transactions;
    private final int batchSize;
    private final RelayMetrics metrics;

    OutboxRelay(OutboxStore outbox, LedgerProjector consumer, PlatformTransactionManager transactions,
                RelayProperties properties, RelayMetrics metrics) {
        this.outbox = outbox;
        this.consumer = consumer;
        this.transactions = new TransactionTemplate(transactions);
        this.batchSize = properties.batchSize();
        this.metrics = metrics;
    }

    /**
     * One round; returns the rows it took care of (0 when idle or when another round holds the
     * lock). The common round delivers its rows in its own transaction, in two round trips: the
     * first takes the lock and reads the pending rows and, in statements of its own after them, the
     * consumer's state of their accounts ({@link LedgerProjector#readAlongside}); the second
     * carries the consumer's rows, the removal of the delivered rows from the outbox and the
     * commit, so a delivery and its removal commit together or not at all. A batch that cannot be
     * applied that way (a gap, a held event, a failing row) rolls that transaction back and is
     * delivered again by a careful round, whose consumer commits on its own, unit by unit, and parks
     * what fails. A round that delivered rows is timed ({@link RelayMetrics}).
     */
    public int relayOnce() {
        return relayRound().rows();
    }

    /**
     * One round ({@link #relayOnce()}), with the lag of the oldest event it delivered, from the
     * command's acceptance to the round's commit (null for a round that delivered nothing or went
     * the careful way), which the relay's wait between rounds follows ({@link Linger}).
     */
    Round relayRound() {
        long start = System.nanoTime();
        // When the first round trip (the lock and the read) had come back, and when the batch had been
        // applied (its last round trip, the rows and the commit, about to go); 0 until then.
        long[] readAt = {0};
        long[] appliedAt = {0};
        List<Instant> accepted = new ArrayList<>();
        // The read models, read in the first round trip with the rows (for the consumer's delivery).
        ReadAlongside[] alongside = {null};
        Integer handled;
        try {
            handled = transactions.execute(status -> {
                outbox.commitWithRows();
                List<PendingEntry> batch = outbox.lockAndReadPending(batchSize,
                        (pipeline, accounts) -> alongside[0] = consumer.readAlongside(pipeline, accounts));
                readAt[0] = System.nanoTime();
                if (batch == null || batch.isEmpty()) {
                    return 0;
                }
                Delivery delivery = consumer.deliverInCurrentTransaction(batch, accepted, alongside[0]);
                if (delivery == null) {
                    status.setRollbackOnly();
                    return CAREFULLY;
                }
                settle(delivery);
                appliedAt[0] = System.nanoTime();
                return batch.size();
            });
        } catch (RuntimeException failedAtOnce) {
            log.debug("A round failed to deliver at once; delivering carefully: {}", failedAtOnce.getMessage());
            handled = CAREFULLY;
        }
        if (handled != null && handled == CAREFULLY) {
            int carefully = relayCarefully();
            if (carefully > 0) {
                timed(start, readAt[0], 0, carefully, true, false);
            }
            return new Round(carefully, null);
        }
        Duration oldestLag = consumer.applied(accepted);
        if (handled != null && handled > 0) {
            timed(start, readAt[0], appliedAt[0], handled, false, alongside[0] != null && alongside[0].used());
        }
        return new Round(handled == null ? 0 : handled, oldestLag);
    }

    /**
     * What a round did: the outbox rows it took care of, and the lag of the oldest event it
     * delivered (null when it cannot tell).
     */
    record Round(int rows, Duration oldestLag) {
    }

    /**
     * Times a round that delivered rows; a first round trip that never came back counts as all read,
     * and a batch never applied (or gone the careful way) as applied at the end.
     */
    private void timed(long start, long readAt, long appliedAt, int rows, boolean careful,
                       boolean readModelsAlongside) {
        long end = System.nanoTime();
        long read = (readAt == 0 ? end : readAt) - start;
        metrics.round(end - start, read, Math.max(read, (appliedAt == 0 ? end : appliedAt) - start), rows, careful,
                readModelsAlongside);
    }

    /** A round's answer when its batch must go the careful way. */
    private static final int CAREFULLY = -1;

    /**
     * A round whose consumer delivers in transactions of its own (at once, else unit by unit under
     * savepoints), and which then removes what it took and parks what it refused. A crash between
     * the consumer's commit and this round's delivers the same rows again; the consumer drops what
     * it already has.
     */
    private int relayCarefully() {
        Integer handled = transactions.execute(status -> {
            outbox.commitWithRows();
            List<PendingEntry> batch = outbox.lockAndReadPending(batchSize);
            if (batch == null || batch.isEmpty()) {
                return 0;
            }
            settle(consumer.deliver(batch));
            return batch.size();
        });
        return handled == null ? 0 : handled;
    }

    /**
     * The last step of a round, in the round's transaction: removes what the consumer took and
     * parks what it refused. Separate from {@link #relayOnce()} so that a test can stop a round
     * between delivery and this step, as a crash would.
     */
    public void settle(Delivery delivery) {
        outbox.removeDelivered(delivery.deliveredIds());
        delivery.failed().forEach((accountId, failure) -> {
            log.warn("Delivery of account {} failed at version {}; parking it: {}", accountId, failure.version(),
                    failure.error());
            outbox.park(accountId, failure.version(), failure.error());
        });
    }

    /** The rows a round would deliver now; with {@link #settle} for reproducing crashes. */
    public List<PendingEntry> pendingBatch() {
        return outbox.pending(batchSize);
    }

    public LedgerProjector consumer() {
        return consumer;
    }
}
