package dev.ledger.infra.account;

import dev.ledger.domain.account.AccountEvent;
import dev.ledger.domain.account.AccountOpenedEvent;
import dev.ledger.domain.account.EntryEvent;
import dev.ledger.domain.account.MoneyDepositedEvent;
import dev.ledger.domain.account.MoneyWithdrawnEvent;
import dev.ledger.domain.account.TransferCreditedEvent;
import dev.ledger.domain.account.TransferDebitedEvent;
import dev.ledger.domain.account.TransferLegEvent;
import java.time.Instant;

/**
 * One event of an account's stream as the outside world sees it: in the outbox, on the global
 * feed, in statements and in the history an auditor pages through.
 *
 * @param amount         null for events that move no money
 * @param overdraftLimit set on {@code ACCOUNT_OPENED} only
 */
public record LedgerEntry(String accountId, long version, String type, Long amount, String currency,
                          long balanceAfter, Long overdraftLimit, Instant occurredAt, String entryId,
                          String transferId, String reference, String requestId, String clientId) {

    public static final String ACCOUNT_OPENED = "ACCOUNT_OPENED";
    public static final String DEPOSIT = "DEPOSIT";
    public static final String WITHDRAWAL = "WITHDRAWAL";
    public static final String TRANSFER_DEBIT = "TRANSFER_DEBIT";
    public static final String TRANSFER_CREDIT = "TRANSFER_CREDIT";

    public static LedgerEntry of(AccountEvent event) {
        if (event instanceof AccountOpenedEvent opened) {
            return new LedgerEntry(opened.accountId(), opened.version(), ACCOUNT_OPENED, null, opened.currency(),
                    opened.balanceAfter(), opened.overdraftLimit(), opened.origin().occurredAt(), null, null, null,
                    opened.origin().requestId(), opened.origin().clientId());
        }
        EntryEvent entry = (EntryEvent) event;
        String transferId = entry instanceof TransferLegEvent leg ? leg.transferId() : null;
        return new LedgerEntry(entry.accountId(), entry.version(), typeOf(entry), entry.amount(), entry.currency(),
                entry.balanceAfter(), null, entry.origin().occurredAt(), entry.entryId(), transferId,
                entry.reference(), entry.origin().requestId(), entry.origin().clientId());
    }

    private static String typeOf(EntryEvent entry) {
        if (entry instanceof MoneyDepositedEvent) {
            return DEPOSIT;
        }
        if (entry instanceof MoneyWithdrawnEvent) {
            return WITHDRAWAL;
        }
        if (entry instanceof TransferDebitedEvent) {
            return TRANSFER_DEBIT;
        }
        if (entry instanceof TransferCreditedEvent) {
            return TRANSFER_CREDIT;
        }
        throw new IllegalArgumentException("no ledger type for " + entry.getClass().getSimpleName());
    }

    /** The signed change this entry makes to the balance. */
    public long delta() {
        if (amount == null) {
            return 0;
        }
        return WITHDRAWAL.equals(type) || TRANSFER_DEBIT.equals(type) ? -amount : amount;
    }
}
