package dev.ledger.domain.money;

import dev.ledger.domain.LedgerRuleViolation;

/** Refuses a balance that would leave the range of exact arithmetic. */
public class BalanceOverflowException extends LedgerRuleViolation {

    public BalanceOverflowException() {
        super("the resulting balance would overflow");
    }
}
