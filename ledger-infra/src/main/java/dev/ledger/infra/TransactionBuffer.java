package dev.ledger.infra;

import java.util.function.BiConsumer;
import java.util.function.Supplier;
import org.springframework.core.Ordered;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Rows a transaction writes at its end: collected in memory while it runs, written just before it
 * commits (a group commit collects the rows of many writes), dropped with it if it rolls back.
 * Every buffer of a transaction adds its statements to one {@link Pipeline}, which runs after the
 * last buffer has added its own: all the rows a transaction buffered go in one round trip.
 */
public final class TransactionBuffer {

    /** The resource key of the current transaction's end-of-transaction pipeline. */
    private static final Object PIPELINE = new Object();

    private TransactionBuffer() {
    }

    /**
     * The current transaction's buffer belonging to {@code owner}, created on first use.
     *
     * @param flush       adds the statements that write the buffer to the pipeline (and empties the
     *                    buffer), just before the transaction commits
     * @param afterCommit runs once the transaction has committed
     * @param jdbc        runs the pipeline, on the transaction's connection
     */
    public static <B> B of(Object owner, Supplier<B> create, BiConsumer<B, Pipeline> flush, Runnable afterCommit,
                           JdbcTemplate jdbc) {
        B buffer = existing(owner);
        if (buffer != null) {
            return buffer;
        }
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            throw new IllegalStateException("rows may only be written inside a transaction, with what they record");
        }
        Pipeline pipeline = pipeline(jdbc);
        B created = create.get();
        TransactionSynchronizationManager.bindResource(owner, created);
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public int getOrder() {
                // Before the pipeline's own synchronization, which runs what the buffers added.
                return Ordered.HIGHEST_PRECEDENCE;
            }

            @Override
            public void beforeCommit(boolean readOnly) {
                flush.accept(created, pipeline);
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

    /** The current transaction's end-of-transaction pipeline, registered to run last on first use. */
    private static Pipeline pipeline(JdbcTemplate jdbc) {
        Pipeline existing = existing(PIPELINE);
        if (existing != null) {
            return existing;
        }
        Pipeline created = new Pipeline();
        TransactionSynchronizationManager.bindResource(PIPELINE, created);
        TransactionSynchronizationManager.registerSynchronization(new TransactionSynchronization() {
            @Override
            public int getOrder() {
                return Ordered.LOWEST_PRECEDENCE;
            }

            @Override
            public void beforeCommit(boolean readOnly) {
                created.run(jdbc);
            }

            @Override
            public void afterCompletion(int status) {
                TransactionSynchronizationManager.unbindResourceIfPossible(PIPELINE);
            }
        });
        return created;
    }
}
