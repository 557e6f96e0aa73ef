package dev.ledger.infra;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Rows a transaction writes at its end: collected in memory while it runs, written just before it
 * commits (a group commit collects the rows of many writes), dropped with it if it rolls back.
 * Every buffer of a transaction adds its statements to one {@link Pipeline}, which then runs: all
 * the rows a transaction buffered go in one round trip.
 */
public final class TransactionBuffer {

    /** The resource key of the current transaction's buffers. */
    private static final Object BUFFERS = new Object();

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
        B created = create.get();
        Buffers buffers = existing(BUFFERS);
        if (buffers == null) {
            buffers = new Buffers(jdbc);
            TransactionSynchronizationManager.bindResource(BUFFERS, buffers);
            TransactionSynchronizationManager.registerSynchronization(buffers);
        }
        TransactionSynchronizationManager.bindResource(owner, created);
        buffers.add(owner, pipeline -> flush.accept(created, pipeline), afterCommit);
        return created;
    }

    /**
     * Writes the rows the current transaction has buffered so far now, rather than just before it
     * commits: for tests that hold a transaction open after its writes (which, with the rows written
     * at commit, still happens between the writes and the commit). Rows buffered later are written
     * at commit as usual.
     */
    public static void flushNow() {
        Buffers buffers = existing(BUFFERS);
        if (buffers != null) {
            buffers.writeRows();
        }
    }

    /** The current transaction's buffer belonging to {@code owner}; null when it has none. */
    @SuppressWarnings("unchecked")
    public static <B> B existing(Object owner) {
        return (B) TransactionSynchronizationManager.getResource(owner);
    }

    /** A transaction's buffers: flushed into one pipeline before it commits, then unbound. */
    private static final class Buffers implements TransactionSynchronization {

        private final JdbcTemplate jdbc;
        private final List<Object> owners = new ArrayList<>();
        private final List<Consumer<Pipeline>> flushes = new ArrayList<>();
        private final List<Runnable> afterCommits = new ArrayList<>();

        private Buffers(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        private void add(Object owner, Consumer<Pipeline> flush, Runnable afterCommit) {
            owners.add(owner);
            flushes.add(flush);
            afterCommits.add(afterCommit);
        }

        @Override
        public void beforeCommit(boolean readOnly) {
            writeRows();
        }

        private void writeRows() {
            Pipeline pipeline = new Pipeline();
            flushes.forEach(flush -> flush.accept(pipeline));
            pipeline.run(jdbc);
        }

        @Override
        public void afterCommit() {
            afterCommits.forEach(Runnable::run);
        }

        @Override
        public void afterCompletion(int status) {
            owners.forEach(TransactionSynchronizationManager::unbindResourceIfPossible);
            TransactionSynchronizationManager.unbindResourceIfPossible(BUFFERS);
        }
    }
}
