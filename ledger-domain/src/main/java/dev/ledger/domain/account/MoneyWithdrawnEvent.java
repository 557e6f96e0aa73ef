package dev.ledger.domain.account;

import org.axonframework.serialization.Revision;

@Revision("1")
public record MoneyWithdrawnEvent(
        String accountId,
        String entryId,
        long amount,
        String currency,
        String reference,
        long version,
        long balanceAfter,
        Origin origin) implements EntryEvent {

    @Override
    public long delta() {
        return -amount;
    }
}
