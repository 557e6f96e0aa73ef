package dev.ledger.domain.account;

import dev.ledger.domain.LedgerRuleViolation;

/** Answers a query for a transfer that never happened. */
public class TransferNotFoundException extends LedgerRuleViolation {

    public TransferNotFoundException(String transferId) {
        super("transfer " + transferId + " does not exist");
    }
}
