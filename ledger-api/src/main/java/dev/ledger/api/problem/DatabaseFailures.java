package dev.ledger.api.problem;

/**
 * Marks a request that failed for want of the database, for the database circuit breaker; which
 * failures those are is {@link dev.ledger.infra.command.DatabaseUnavailable}'s to say.
 */
public final class DatabaseFailures {

    /** The request attribute set when a request failed for want of the database. */
    public static final String FAILED_ATTRIBUTE = DatabaseFailures.class.getName() + ".failed";

    private DatabaseFailures() {
    }
}
