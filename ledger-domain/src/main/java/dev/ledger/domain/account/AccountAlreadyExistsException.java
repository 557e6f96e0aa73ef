package dev.ledger.domain.account;

import dev.ledger.domain.LedgerRuleViolation;

/** Refuses to open an account under an id that is already taken. */
public class AccountAlreadyExistsException extends LedgerRuleViolation {

    public AccountAlreadyExistsException(String accountId) {
        super("account " + accountId + " already exists");
    }
}
