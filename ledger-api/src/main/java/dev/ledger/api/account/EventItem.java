package dev.ledger.api.account;

import dev.ledger.domain.account.AccountEvent;
import dev.ledger.domain.account.AccountOpenedEvent;
import dev.ledger.domain.account.EntryEvent;
import dev.ledger.domain.account.MoneyDepositedEvent;
import dev.ledger.domain.account.MoneyWithdrawnEvent;
import java.time.Instant;

/** One line of an account's history, for auditors. */
public record EventItem(long version, String type, Long amount, String currency, long balanceAfter,
                        Instant occurredAt, String entryId, String transferId, String reference) {

    static EventItem of(AccountEvent event) {
        if (event instanceof EntryEvent entry) {
            return new EventItem(entry.version(), typeOf(entry), entry.amount(), entry.currency(),
                    entry.balanceAfter(), entry.origin().occurredAt(), entry.entryId(), null, entry.reference());
        }
        return new EventItem(event.version(), typeOf(event), null, event.currency(), event.balanceAfter(),
                event.origin().occurredAt(), null, null, null);
    }

    static String typeOf(AccountEvent event) {
        if (event instanceof AccountOpenedEvent) {
            return "ACCOUNT_OPENED";
        }
        if (event instanceof MoneyDepositedEvent) {
            return "DEPOSIT";
        }
        if (event instanceof MoneyWithdrawnEvent) {
            return "WITHDRAWAL";
        }
        throw new IllegalArgumentException("no history type for " + event.getClass().getSimpleName());
    }
}
