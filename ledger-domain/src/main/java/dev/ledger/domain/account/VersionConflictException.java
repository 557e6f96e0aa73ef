package dev.ledger.domain.account;

import dev.ledger.domain.LedgerRuleViolation;

/** Refuses a command pinned to a version the account has already moved past (or not reached). */
public class VersionConflictException extends LedgerRuleViolation {

    private final long expectedVersion;
    private final long currentVersion;

    public VersionConflictException(String accountId, long expectedVersion, long currentVersion) {
        super("account " + accountId + " is at version " + currentVersion + ", not " + expectedVersion);
        this.expectedVersion = expectedVersion;
        this.currentVersion = currentVersion;
    }

    public long expectedVersion() {
        return expectedVersion;
    }

    public long currentVersion() {
        return currentVersion;
    }
}
