package dev.ledger.domain.account;

import dev.ledger.domain.LedgerRuleViolation;

/** Refuses money in a currency other than the one the account was opened with. */
public class CurrencyMismatchException extends LedgerRuleViolation {

    private final String accountCurrency;

    public CurrencyMismatchException(String accountId, String accountCurrency, String requested) {
        super("account " + accountId + " holds " + accountCurrency + ", not " + requested);
        this.accountCurrency = accountCurrency;
    }

    public String accountCurrency() {
        return accountCurrency;
    }
}
