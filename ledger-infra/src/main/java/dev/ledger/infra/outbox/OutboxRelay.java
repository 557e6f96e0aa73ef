package dev.ledger.infra.outbox;

import dev.ledger.infra.outbox.OutboxStore.PendingEntry;
import dev.ledger.infra.projection.LedgerProjector;
import dev.ledger.infra.projection.LedgerProjector.Delivery;
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
 * round runs at a time. It reads the oldest undelivered rows, hands them to the consumer (which
 * commits in a transaction of its own), and removes them from the outbox when the round commits.
 * A crash between the two commits delivers the same rows again; the consumer drops what it already
 * has. An account whose delivery failed is parked with its failed version: its later rows wait
 * behind it, every other account goes on.
 */
@Component
public class OutboxRelay {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

    private final OutboxStore outbox;
    private final LedgerProjector consumer;
    private final TransactionTemplate transactions;
    private final int batchSize;

    OutboxRelay(OutboxStore outbox, LedgerProjector consumer, PlatformTransactionManager transactions,
                RelayProperties properties) {
        this.outbox = outbox;
        this.consumer = consumer;
        this.transactions = new TransactionTemplate(transactions);
        this.batchSize = properties.batchSize();
    }

    /** One round; returns the rows it took care of (0 when idle or when another round holds the lock). */
    public int relayOnce() {
        Integer handled = transactions.execute(status -> {
            List<PendingEntry> batch = outbox.lockAndReadPending(batchSize);
            if (batch == null || batch.isEmpty()) {
                return 0;
            }
            Delivery delivery = consumer.deliver(batch);
            settle(delivery);
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
