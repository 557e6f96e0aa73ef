package dev.ledger.infra;

import java.util.function.Consumer;
import java.util.function.Supplier;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Rows a transaction writes at its end: collected in memory while it runs, written as one batch
 * just before it commits (a group commit collects the rows of many writes), dropped with it if it
 * rolls back.
 */
public final class TransactionBuffer {

    private TransactionBuffer() {
    }

    /**
     * The current transaction's buffer belonging to {@code owner}, created on first use.
     *
     * @param flush       writes the buffer (and empties it) just before the transaction commits
     * @param afterCommit runs once the transaction has committed
     */
    public static <B> B of(Object owner, Supplier<B> create, Consumer<B> flush, Runnable afterCommit) {
        B buffer = existing(owner);
        if (buffer != null) {
            return buffer;
        }
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            throw new IllegalStateException("rows may only be written inside a transaction, with what they record");
        }
        B created = create.get();
        TransactionSynchronizationManager.bindResource(owner, created);
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public void beforeCommit(boolean readOnly) {
                flush.accept(created);
            }

            @Override
            public void afterCommit() {
                afterCommit.run();
            }

            @Override
            public void afterCompletion(int status) {
                TransactionSynchronizationManager.unbindResourceIfPossible(owner);
            }
        });
        return created;
    }

    /** The current transaction's buffer belonging to {@code owner}; null when it has none. */
    @SuppressWarnings("unchecked")
    public static <B> B existing(Object owner) {
        return (B) TransactionSynchronizationManager.getResource(owner);
    }
}
