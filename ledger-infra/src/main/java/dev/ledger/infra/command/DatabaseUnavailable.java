package dev.ledger.infra.command;

import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.transaction.TransactionSystemException;

/**
 * Tells a database that cannot be reached apart from every other failure: the web layer answers
 * such failures 503, and the writers stop retrying them write by write.
 */
public final class DatabaseUnavailable {

    private static final int CAUSE_DEPTH_MAX = 16;

    private DatabaseUnavailable() {
    }

    public static boolean isUnavailable(Throwable failure) {
        Throwable cause = failure;
        for (int depth = 0; cause != null && depth < CAUSE_DEPTH_MAX; depth++) {
            if (cause instanceof CannotCreateTransactionException
                    || cause instanceof DataAccessResourceFailureException
                    || cause instanceof SQLTransientConnectionException
                    || cause instanceof SQLNonTransientConnectionException
                    || cause instanceof ConnectException
                    || cause instanceof SocketTimeoutException
                    || cause instanceof SocketException) {
                return true;
            }
            // SQLSTATE class 08 is "connection exception"; 57P01..57P03 are the server shutting down.
            if (cause instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("08") || sql.getSQLState().startsWith("57P"))) {
                return true;
            }
            if (isTransactionEndOnDeadConnection(cause)) {
                return true;
            }
            cause = cause.getCause();
        }
        return false;
    }

    /**
     * A rollback (or commit) that failed because its connection was already dead. Once a statement
     * fails with a connection error, the pool closes the connection, and every later call on it
     * throws an {@link SQLException} without SQLSTATE ("Connection is closed"): the rollback Spring
     * then issues fails too, and that failure replaces the connection error it was cleaning up
     * after (Spring only logs the original). Left unrecognized, it is not taken as the database's
     * failure: a write group is run again write by write (on a fresh connection, answered 201: what
     * {@code DatabaseOutageTest}'s dropped connection gets without this check), and a transaction
     * with nothing to run again answered 500 and counted as a success for the database circuit
     * breaker. With it, the group is answered 503 and the client's retry with the same key
     * executes (docs/design.md, *One transaction per request*). The ledger's transaction manager is
     * JDBC's, which reports such a failed commit or rollback as a {@link TransactionSystemException}
     * with the driver's exception as its cause.
     */
    private static boolean isTransactionEndOnDeadConnection(Throwable cause) {
        return cause instanceof TransactionSystemException
                && cause.getCause() instanceof SQLException sql && sql.getSQLState() == null;
    }
}
