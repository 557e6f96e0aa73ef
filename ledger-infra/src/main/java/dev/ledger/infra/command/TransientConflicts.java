package dev.ledger.infra.command;

import java.sql.SQLException;
import org.axonframework.modelling.command.AggregateStreamCreationException;
import org.axonframework.modelling.command.ConcurrencyException;

/**
 * Which failures a write may simply try again: another transaction took the account version (or
 * the account id) first, or PostgreSQL broke a deadlock or a serialization conflict. Retrying
 * reloads the account, so the new attempt decides on the state that won.
 */
final class TransientConflicts {

    private static final int CAUSE_DEPTH_MAX = 16;

    private TransientConflicts() {
    }

    static boolean isTransient(Throwable failure) {
        Throwable cause = failure;
        for (int depth = 0; cause != null && depth < CAUSE_DEPTH_MAX; depth++) {
            if (cause instanceof ConcurrencyException || cause instanceof AggregateStreamCreationException) {
                return true;
            }
            if (cause instanceof SQLException sql && isRetryableState(sql.getSQLState())) {
                return true;
            }
            cause = cause.getCause();
        }
        return false;
    }

    private static boolean isRetryableState(String sqlState) {
        // 23505 unique_violation, 40001 serialization_failure, 40P01 deadlock_detected.
        return "23505".equals(sqlState) || "40001".equals(sqlState) || "40P01".equals(sqlState);
    }
}
