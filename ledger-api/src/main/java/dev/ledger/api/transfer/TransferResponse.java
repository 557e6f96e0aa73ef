package dev.ledger.api.transfer;

import dev.ledger.infra.transfer.Transfer;

/** A transfer as the contract shapes it. */
public record TransferResponse(String transferId, String fromAccountId, String toAccountId, long amount,
                               String currency, String status, long fromVersion, long toVersion, String reference) {

    static TransferResponse of(Transfer transfer) {
        return new TransferResponse(transfer.transferId(), transfer.fromAccountId(), transfer.toAccountId(),
                transfer.amount(), transfer.currency(), transfer.status(), transfer.fromVersion(),
                transfer.toVersion(), transfer.reference());
    }
}
