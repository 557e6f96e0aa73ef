package dev.ledger.domain.money;

import dev.ledger.domain.LedgerRuleViolation;

/** Refuses an amount or limit outside its bounds. */
public class InvalidAmountException extends LedgerRuleViolation {

    public InvalidAmountException(String message) {
        super(message);
    }
}
