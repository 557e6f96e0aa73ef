package dev.ledger.domain.account;

import dev.ledger.domain.LedgerRuleViolation;

/** Refuses a transfer id that an earlier transfer already used. */
public class TransferAlreadyExistsException extends LedgerRuleViolation {

    public TransferAlreadyExistsException(String transferId) {
        super("transfer " + transferId + " already exists");
    }
}
