package dev.ledger.domain.account;

import org.axonframework.serialization.Revision;

@Revision("1")
public record TransferDebitedEvent(
        String accountId,
        String entryId,
        String transferId,
        String counterpartyAccountId,
        long amount,
        String currency,
        String reference,
        long version,
        long balanceAfter,
        Origin origin) implements TransferLegEvent {

    @Override
    public long delta() {
        return -amount;
    }
}
