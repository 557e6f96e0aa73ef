package dev.ledger.domain.account;

import dev.ledger.domain.LedgerRuleViolation;

/** Refuses a withdrawal that would take the balance below minus the overdraft limit. */
public class InsufficientFundsException extends LedgerRuleViolation {

    private final long balance;
    private final long overdraftLimit;
    private final long amount;

    public InsufficientFundsException(String accountId, long balance, long overdraftLimit, long amount) {
        super("account " + accountId + " has a balance of " + balance + " and an overdraft limit of "
                + overdraftLimit + ", which does not cover " + amount);
        this.balance = balance;
        this.overdraftLimit = overdraftLimit;
        this.amount = amount;
    }

    public long balance() {
        return balance;
    }

    public long overdraftLimit() {
        return overdraftLimit;
    }

    public long amount() {
        return amount;
    }
}
