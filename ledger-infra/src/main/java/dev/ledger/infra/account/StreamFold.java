package dev.ledger.infra.account;

/**
 * Folds account streams read in (account, version) order, checking every event against what came
 * before it: a stream starts with its opening, versions follow one another, each balance is the
 * previous one plus the amount, and the currency never changes. Used wherever the service replays
 * the event store outside the aggregate (read-model rebuild, reconciliation).
 */
public final class StreamFold {

    private String accountId;
    private String currency;
    private long overdraftLimit;
    private long balance;
    private long version;
    private boolean broken;

    /** True when the entry belongs to another account than the one being folded (or to the first one). */
    public boolean startsNewAccount(LedgerEntry entry) {
        return !entry.accountId().equals(accountId);
    }

    /**
     * Folds the entry in. Once an account's stream has broken, its remaining entries are skipped
     * (false) until the next account starts.
     *
     * @throws BrokenStreamException when the entry does not follow; the account counts as broken
     */
    public boolean accept(LedgerEntry entry) {
        if (startsNewAccount(entry)) {
            accountId = entry.accountId();
            currency = entry.currency();
            overdraftLimit = entry.overdraftLimit() == null ? 0 : entry.overdraftLimit();
            balance = 0;
            version = 0;
            broken = false;
            if (!LedgerEntry.ACCOUNT_OPENED.equals(entry.type())) {
                throw breaks("stream does not start with ACCOUNT_OPENED");
            }
        }
        if (broken) {
            return false;
        }
        long expected;
        try {
            expected = Math.addExact(balance, entry.delta());
        } catch (ArithmeticException overflow) {
            throw breaks("balance overflows at version " + entry.version());
        }
        if (entry.version() != version + 1 || expected != entry.balanceAfter() || !currency.equals(entry.currency())) {
            throw breaks("stream breaks at version " + entry.version());
        }
        balance = expected;
        version = entry.version();
        return true;
    }

    private BrokenStreamException breaks(String reason) {
        broken = true;
        return new BrokenStreamException(accountId, reason);
    }

    public String accountId() {
        return accountId;
    }

    public String currency() {
        return currency;
    }

    public long overdraftLimit() {
        return overdraftLimit;
    }

    public long balance() {
        return balance;
    }

    public long version() {
        return version;
    }

    public boolean broken() {
        return broken;
    }

    /** An account stream that does not fold. */
    public static final class BrokenStreamException extends IllegalStateException {

        private final String accountId;
        private final String reason;

        BrokenStreamException(String accountId, String reason) {
            super("account " + accountId + ": " + reason);
            this.accountId = accountId;
            this.reason = reason;
        }

        public String accountId() {
            return accountId;
        }

        public String reason() {
            return reason;
        }
    }
}
