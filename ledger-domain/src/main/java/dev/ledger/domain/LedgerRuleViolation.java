package dev.ledger.domain;

/**
 * A command refused by a business rule. Nothing is applied when one is thrown; the caller decides
 * how to tell the client. Each subclass names the rule it protects.
 */
public abstract class LedgerRuleViolation extends RuntimeException {

    protected LedgerRuleViolation(String message) {
        super(message, null, false, false);
    }
}
