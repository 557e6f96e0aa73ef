package dev.ledger.infra;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import org.postgresql.core.BaseConnection;
import org.postgresql.core.TransactionState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronization;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * Rows a transaction writes at its end: collected in memory while it runs, written just before it
 * commits (a group commit collects the rows of many writes), dropped with it if it rolls back.
 * Every buffer of a transaction adds its statements to one {@link Pipeline}, which then runs: all
 * the rows a transaction buffered go in one round trip. A transaction that asks for it
 * ({@link #commitWithRows}) sends its commit in that same round trip, after the rows.
 */
public final class TransactionBuffer {

    private static final Logger log = LoggerFactory.getLogger(TransactionBuffer.class);

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
        Buffers buffers = buffers(jdbc);
        TransactionSynchronizationManager.bindResource(owner, created);
        buffers.add(owner, created, pipeline -> flush.accept(created, pipeline), afterCommit);
        return created;
    }

    /**
     * Makes the current transaction's last round trip its commit too: the {@code commit} statement
     * goes to the server in the pipeline that writes the buffered rows, after them, instead of in a
     * round trip of its own once they are written. The transaction manager's commit then finds the
     * connection's transaction already ended and sends nothing (pgjdbc commits only an open
     * transaction). If a row fails, the statements after it, the commit included, do not run, and
     * the transaction rolls back as before.
     *
     * <p>Only for the code that started the transaction, with nothing to run after its rows: a
     * statement another synchronization ran after them would run outside the transaction. None
     * does here; should one ever, it is rolled back and logged as an error when the transaction
     * completes, rather than committed on its own.
     */
    public static void commitWithRows(JdbcTemplate jdbc) {
        commitWithRows(jdbc, null);
    }

    /**
     * {@link #commitWithRows(JdbcTemplate)}, and once that last round trip has come back with the
     * transaction committed, hands {@code roundTripNanos} how long it took: from sending the rows
     * to the commit's answer, so the server's work on them and its WAL flush included (nothing
     * when the round trip fails).
     */
    public static void commitWithRows(JdbcTemplate jdbc, LongConsumer roundTripNanos) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            throw new IllegalStateException("only a transaction can commit with its rows");
        }
        Buffers buffers = buffers(jdbc);
        buffers.commitWithRows = true;
        buffers.roundTripNanos = roundTripNanos;
    }

    /**
     * Adds statements that go first in the pipeline that writes the current transaction's rows,
     * before every buffer's rows, in the order they were added. For checks whose failure must stop
     * the rows (and a commit sent with them): a statement that fails ends the pipeline.
     */
    public static void first(JdbcTemplate jdbc, Consumer<Pipeline> statements) {
        if (!TransactionSynchronizationManager.isSynchronizationActive()) {
            throw new IllegalStateException("statements may only go before rows inside a transaction");
        }
        buffers(jdbc).firsts.add(statements);
    }

    private static Buffers buffers(JdbcTemplate jdbc) {
        Buffers buffers = existing(BUFFERS);
        if (buffers == null) {
            buffers = new Buffers(jdbc);
            TransactionSynchronizationManager.bindResource(BUFFERS, buffers);
            TransactionSynchronizationManager.registerSynchronization(buffers);
        }
        return buffers;
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
            buffers.writeRows(false);
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
        /** Each owner's buffer, as bound to the thread while this transaction is the current one. */
        private final Map<Object, Object> owners = new LinkedHashMap<>();
        private final List<Consumer<Pipeline>> flushes = new ArrayList<>();
        /** Statements that go before the rows ({@link #first}); sent once, with the first rows written. */
        private final List<Consumer<Pipeline>> firsts = new ArrayList<>();
        private final List<Runnable> afterCommits = new ArrayList<>();
        /** Whether the rows' pipeline ends with the commit ({@link #commitWithRows}). */
        private boolean commitWithRows;
        /** Whether it did, so that nothing may run in the transaction any more. */
        private boolean committedWithRows;
        /** Told how long the round trip that committed with the rows took; null when nobody asked. */
        private LongConsumer roundTripNanos;

        private Buffers(JdbcTemplate jdbc) {
            this.jdbc = jdbc;
        }

        private void add(Object owner, Object buffer, Consumer<Pipeline> flush, Runnable afterCommit) {
            owners.put(owner, buffer);
            flushes.add(flush);
            afterCommits.add(afterCommit);
        }

        /**
         * A transaction started inside this one (REQUIRES_NEW) must not see these buffers: the
         * transaction manager suspends its own resources, and this does the same for its own, so
         * that the inner transaction buffers (and commits) rows of its own.
         */
        @Override
        public void suspend() {
            owners.keySet().forEach(TransactionSynchronizationManager::unbindResource);
            TransactionSynchronizationManager.unbindResource(BUFFERS);
        }

        @Override
        public void resume() {
            TransactionSynchronizationManager.bindResource(BUFFERS, this);
            owners.forEach(TransactionSynchronizationManager::bindResource);
        }

        @Override
        public void beforeCommit(boolean readOnly) {
            writeRows(commitWithRows);
        }

        private void writeRows(boolean commit) {
            Pipeline pipeline = new Pipeline();
            firsts.forEach(statements -> statements.accept(pipeline));
            firsts.clear();
            flushes.forEach(flush -> flush.accept(pipeline));
            if (commit) {
                pipeline.execute("commit");
            }
            long sent = System.nanoTime();
            pipeline.run(jdbc);
            committedWithRows = commit;
            if (commit && roundTripNanos != null) {
                roundTripNanos.accept(System.nanoTime() - sent);
            }
        }

        /**
         * After a commit sent with the rows, the connection's transaction must have stayed ended: a
         * statement run since (by a synchronization after this one) would be committed alone by the
         * transaction manager. It is rolled back instead, and logged.
         */
        @Override
        public void beforeCompletion() {
            if (!committedWithRows) {
                return;
            }
            try {
                Connection connection = DataSourceUtils.getConnection(jdbc.getDataSource());
                if (connection.unwrap(BaseConnection.class).getTransactionState() != TransactionState.IDLE) {
                    log.error("Statements ran after a transaction committed with its rows; rolling them back");
                    connection.rollback();
                }
            } catch (SQLException failure) {
                log.error("Could not check that a transaction committed with its rows ended there", failure);
            }
        }

        @Override
        public void afterCommit() {
            afterCommits.forEach(Runnable::run);
        }

        @Override
        public void afterCompletion(int status) {
            owners.keySet().forEach(TransactionSynchronizationManager::unbindResourceIfPossible);
            TransactionSynchronizationManager.unbindResourceIfPossible(BUFFERS);
        }
    }
}
