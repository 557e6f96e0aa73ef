package dev.ledger.api.account;

import dev.ledger.domain.account.AccountEvent;
import dev.ledger.infra.account.LedgerEntry;
import java.time.Instant;

/** One line of an account's history, for auditors. */
public record EventItem(long version, String type, Long amount, String currency, long balanceAfter,
                        Instant occurredAt, String entryId, String transferId, String reference) {

    static EventItem of(AccountEvent event) {
        LedgerEntry entry = LedgerEntry.of(event);
        return new EventItem(entry.version(), entry.type(), entry.amount(), entry.currency(), entry.balanceAfter(),
                entry.occurredAt(), entry.entryId(), entry.transferId(), entry.reference());
    }
}
