package dev.ledger.api.problem;

import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.transaction.CannotCreateTransactionException;

/** Tells a database that cannot be reached apart from every other failure. */
public final class DatabaseFailures {

    /** The request attribute set when a request failed for want of the database. */
    public static final String FAILED_ATTRIBUTE = DatabaseFailures.class.getName() + ".failed";

    private static final int CAUSE_DEPTH_MAX = 16;

    private DatabaseFailures() {
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
            cause = cause.getCause();
        }
        return false;
    }
}
