package dev.ledger.domain.account;

import dev.ledger.domain.LedgerRuleViolation;

/** Refuses an account id that is not 1 to 64 characters from {@code [A-Za-z0-9_-]}. */
public class InvalidAccountIdException extends LedgerRuleViolation {

    public InvalidAccountIdException() {
        super("accountId must be 1 to " + AccountIds.LENGTH_MAX + " characters from [A-Za-z0-9_-]");
    }
}
