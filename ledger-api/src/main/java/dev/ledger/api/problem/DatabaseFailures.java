package dev.ledger.api.problem;

import dev.ledger.infra.command.DatabaseUnavailable;

/** Tells a database that cannot be reached apart from every other failure. */
public final class DatabaseFailures {

    /** The request attribute set when a request failed for want of the database. */
    public static final String FAILED_ATTRIBUTE = DatabaseFailures.class.getName() + ".failed";

    private DatabaseFailures() {
    }

    public static boolean isUnavailable(Throwable failure) {
        return DatabaseUnavailable.isUnavailable(failure);
    }
}
