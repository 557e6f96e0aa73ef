package dev.ledger.domain.account;

import dev.ledger.domain.LedgerRuleViolation;

/** Refuses a command or query for an account that was never opened. */
public class AccountNotFoundException extends LedgerRuleViolation {

    public AccountNotFoundException(String accountId) {
        super("account " + accountId + " does not exist");
    }
}
