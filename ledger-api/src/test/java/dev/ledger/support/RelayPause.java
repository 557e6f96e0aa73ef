package dev.ledger.support;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Holds the relay's advisory lock in a transaction of the test's own, so that no relay round of
 * any worker can run (outbox rows stay pending) until {@link #close()} releases it. Meanwhile a
 * test may hand the pending rows to the consumer itself, as a relay round would.
 */
public final class RelayPause implements AutoCloseable {

    /** The relay's lock key ({@code OutboxStore.LOCK_CLASS}, {@code RELAY_LOCK}). */
    private static final int LOCK_CLASS = 0x1ed9e7;
    private static final int RELAY_LOCK = 1;

    private final Connection connection;

    private RelayPause(Connection connection) {
        this.connection = connection;
    }

    /** Returns once the lock is held (after the relay round running now, if any, has committed). */
    public static RelayPause hold() throws SQLException {
        Connection connection = TestDatabase.get().connect();
        try {
            connection.setAutoCommit(false);
            try (PreparedStatement lock = connection.prepareStatement("select pg_advisory_xact_lock(?, ?)")) {
                lock.setInt(1, LOCK_CLASS);
                lock.setInt(2, RELAY_LOCK);
                lock.executeQuery().close();
            }
            return new RelayPause(connection);
        } catch (SQLException | RuntimeException failure) {
            connection.close();
            throw failure;
        }
    }

    /** Lets the relay run again; idempotent. */
    @Override
    public void close() throws SQLException {
        if (connection.isClosed()) {
            return;
        }
        try {
            connection.rollback();
        } finally {
            connection.close();
        }
    }
}
