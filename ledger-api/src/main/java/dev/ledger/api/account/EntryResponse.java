package dev.ledger.api.account;

import dev.ledger.domain.account.EntryEvent;
import dev.ledger.infra.account.LedgerEntry;

/** A deposit or withdrawal as recorded: the balance and version are the account's after it. */
public record EntryResponse(String accountId, String entryId, String type, long amount, String currency,
                            long balance, long version, String reference) {

    static EntryResponse of(EntryEvent event) {
        return new EntryResponse(event.accountId(), event.entryId(), LedgerEntry.of(event).type(), event.amount(),
                event.currency(), event.balanceAfter(), event.version(), event.reference());
    }
}
