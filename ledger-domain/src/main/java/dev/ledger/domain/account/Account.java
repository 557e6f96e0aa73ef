package dev.ledger.domain.account;

import static org.axonframework.modelling.command.AggregateLifecycle.apply;

import dev.ledger.domain.money.CurrencyCode;
import dev.ledger.domain.money.Money;
import java.util.Objects;
import org.axonframework.commandhandling.CommandHandler;
import org.axonframework.eventsourcing.EventSourcingHandler;
import org.axonframework.modelling.command.AggregateIdentifier;
import org.axonframework.modelling.command.AggregateRoot;
import org.axonframework.serialization.Revision;

/**
 * A bank account, event-sourced. Its version is the number of events in its stream, and every
 * event it replays must be the next one: a reordered, duplicated or missing event stops the
 * replay instead of producing a wrong balance.
 */
@AggregateRoot(type = "Account")
@Revision("1")
public class Account {

    @AggregateIdentifier
    private String accountId;
    private String currency;
    private long overdraftLimit;
    private long balance;
    private long version;

    /** For Axon, which rebuilds the account from its events. */
    protected Account() {
    }

    @CommandHandler
    public Account(OpenAccountCommand command) {
        if (!AccountIds.isValid(command.accountId())) {
            throw new InvalidAccountIdException();
        }
        CurrencyCode.require(command.currency());
        Money.requireValidOverdraftLimit(command.overdraftLimit());
        Objects.requireNonNull(command.origin(), "origin");
        apply(new AccountOpenedEvent(
                command.accountId(), command.currency(), command.overdraftLimit(), 1, 0, command.origin()));
    }

    @CommandHandler
    public MoneyDepositedEvent handle(DepositMoneyCommand command) {
        requireEntryIdentity(command.entryId(), command.origin());
        long balanceAfter = credit(command.amount(), command.currency(), command.expectedVersion());
        MoneyDepositedEvent event = new MoneyDepositedEvent(accountId, command.entryId(), command.amount(),
                currency, command.reference(), version + 1, balanceAfter, command.origin());
        apply(event);
        return event;
    }

    @CommandHandler
    public MoneyWithdrawnEvent handle(WithdrawMoneyCommand command) {
        requireEntryIdentity(command.entryId(), command.origin());
        long balanceAfter = debit(command.amount(), command.currency(), command.expectedVersion());
        MoneyWithdrawnEvent event = new MoneyWithdrawnEvent(accountId, command.entryId(), command.amount(),
                currency, command.reference(), version + 1, balanceAfter, command.origin());
        apply(event);
        return event;
    }

    @CommandHandler
    public TransferDebitedEvent handle(DebitForTransferCommand command) {
        requireEntryIdentity(command.entryId(), command.origin());
        requireCounterparty(command.transferId(), command.counterpartyAccountId());
        long balanceAfter = debit(command.amount(), command.currency(), null);
        TransferDebitedEvent event = new TransferDebitedEvent(accountId, command.entryId(), command.transferId(),
                command.counterpartyAccountId(), command.amount(), currency, command.reference(), version + 1,
                balanceAfter, command.origin());
        apply(event);
        return event;
    }

    @CommandHandler
    public TransferCreditedEvent handle(CreditForTransferCommand command) {
        requireEntryIdentity(command.entryId(), command.origin());
        requireCounterparty(command.transferId(), command.counterpartyAccountId());
        long balanceAfter = credit(command.amount(), command.currency(), null);
        TransferCreditedEvent event = new TransferCreditedEvent(accountId, command.entryId(), command.transferId(),
                command.counterpartyAccountId(), command.amount(), currency, command.reference(), version + 1,
                balanceAfter, command.origin());
        apply(event);
        return event;
    }

    /** Checks a credit and returns the balance it leaves. */
    private long credit(long amount, String requestedCurrency, Long expectedVersion) {
        Money.requireValidAmount(amount);
        CurrencyCode.require(requestedCurrency);
        requireExpectedVersion(expectedVersion);
        requireAccountCurrency(requestedCurrency);
        return Money.add(balance, amount);
    }

    /** Checks a debit, overdraft included, and returns the balance it leaves. */
    private long debit(long amount, String requestedCurrency, Long expectedVersion) {
        Money.requireValidAmount(amount);
        CurrencyCode.require(requestedCurrency);
        requireExpectedVersion(expectedVersion);
        requireAccountCurrency(requestedCurrency);
        long balanceAfter = Money.subtract(balance, amount);
        if (balanceAfter < -overdraftLimit) {
            throw new InsufficientFundsException(accountId, balance, overdraftLimit, amount);
        }
        return balanceAfter;
    }

    private void requireCounterparty(String transferId, String counterpartyAccountId) {
        Objects.requireNonNull(transferId, "transferId");
        if (!AccountIds.isValid(counterpartyAccountId)) {
            throw new InvalidAccountIdException();
        }
        if (counterpartyAccountId.equals(accountId)) {
            throw new SameAccountTransferException(accountId);
        }
    }

    @EventSourcingHandler
    void on(AccountOpenedEvent event) {
        requireNext(event);
        accountId = event.accountId();
        currency = event.currency();
        overdraftLimit = event.overdraftLimit();
        requireBalance(0, event);
    }

    /** Deposits, withdrawals and both legs of transfers: every event that moves money. */
    @EventSourcingHandler
    void on(EntryEvent event) {
        requireNext(event);
        requireSameAccount(event);
        requireBalance(Money.add(balance, event.delta()), event);
    }

    private static void requireEntryIdentity(String entryId, Origin origin) {
        Objects.requireNonNull(entryId, "entryId");
        Objects.requireNonNull(origin, "origin");
    }

    /** An entry in this stream must be for this account, in its currency, of a valid amount. */
    private void requireSameAccount(EntryEvent event) {
        if (!accountId.equals(event.accountId()) || !currency.equals(event.currency())
                || event.amount() < Money.AMOUNT_MIN || event.amount() > Money.AMOUNT_MAX) {
            throw new IllegalStateException("account " + accountId + " (" + currency + ") cannot apply event "
                    + event.version() + " for account " + event.accountId() + " of " + event.amount() + " "
                    + event.currency());
        }
    }

    private void requireExpectedVersion(Long expectedVersion) {
        if (expectedVersion != null && expectedVersion != version) {
            throw new VersionConflictException(accountId, expectedVersion, version);
        }
    }

    private void requireAccountCurrency(String requested) {
        if (!currency.equals(requested)) {
            throw new CurrencyMismatchException(accountId, currency, requested);
        }
    }

    /** The stream must be gap-free and in order; anything else is a corrupt history. */
    private void requireNext(AccountEvent event) {
        if (event.version() != version + 1) {
            throw new IllegalStateException("account " + event.accountId() + " at version " + version
                    + " cannot apply an event for version " + event.version());
        }
        version = event.version();
    }

    /** The balance an event records must be the one its amount produces, and within the limit. */
    private void requireBalance(long computed, AccountEvent event) {
        if (computed != event.balanceAfter()) {
            throw new IllegalStateException("account " + event.accountId() + " event " + event.version()
                    + " records balance " + event.balanceAfter() + " but its history gives " + computed);
        }
        if (computed < -overdraftLimit) {
            throw new IllegalStateException("account " + event.accountId() + " event " + event.version()
                    + " takes the balance to " + computed + ", below the overdraft limit of " + overdraftLimit);
        }
        balance = computed;
    }
}
