package dev.ledger.domain.account;

import dev.ledger.domain.LedgerRuleViolation;

/** Refuses a transfer whose paying and receiving account are the same. */
public class SameAccountTransferException extends LedgerRuleViolation {

    public SameAccountTransferException(String accountId) {
        super("a transfer needs two different accounts, not " + accountId + " twice");
    }
}
