package dev.ledger.domain.money;

import dev.ledger.domain.LedgerRuleViolation;

/** Refuses a currency that is not an ISO 4217 code. */
public class InvalidCurrencyException extends LedgerRuleViolation {

    public InvalidCurrencyException(String message) {
        super(message);
    }
}
