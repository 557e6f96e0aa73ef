package dev.ledger.infra.transfer;

import dev.ledger.domain.LedgerRuleViolation;
import dev.ledger.domain.account.CreditForTransferCommand;
import dev.ledger.domain.account.CurrencyMismatchException;
import dev.ledger.domain.account.DebitForTransferCommand;
import dev.ledger.domain.account.Origin;
import dev.ledger.domain.account.SameAccountTransferException;
import dev.ledger.domain.account.TransferAlreadyExistsException;
import dev.ledger.domain.account.TransferCreditedEvent;
import dev.ledger.domain.account.TransferDebitedEvent;
import dev.ledger.domain.money.Money;
import dev.ledger.infra.account.AccountCommands;
import dev.ledger.infra.account.AccountHistory;
import dev.ledger.infra.account.AccountHistory.AccountState;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Double-entry transfers. The debit and the credit are two events on two accounts, appended in
 * the caller's transaction together with the transfer row: both commit or neither does.
 *
 * <p>Every refusal is decided before anything is appended: the caller holds both accounts' locks
 * (in this process and in the database, in a fixed order, so opposite transfers cannot deadlock),
 * so what is checked here still holds when the legs are appended. The debit goes first, since
 * it is the leg the aggregate may refuse (insufficient funds); the credit was checked above.
 */
@Service
@Transactional(propagation = Propagation.MANDATORY, noRollbackFor = LedgerRuleViolation.class)
public class TransferCommands {

    private final AccountCommands accounts;
    private final AccountHistory history;
    private final Transfers transfers;

    TransferCommands(AccountCommands accounts, AccountHistory history, Transfers transfers) {
        this.accounts = accounts;
        this.history = history;
        this.transfers = transfers;
    }

    public Transfer transfer(TransferRequest request, Origin origin) {
        if (request.fromAccountId().equals(request.toAccountId())) {
            throw new SameAccountTransferException(request.fromAccountId());
        }
        if (transfers.exists(request.transferId())) {
            throw new TransferAlreadyExistsException(request.transferId());
        }
        AccountState from = history.current(request.fromAccountId());
        AccountState to = history.current(request.toAccountId());
        if (!from.currency().equals(request.currency())) {
            throw new CurrencyMismatchException(from.accountId(), from.currency(), request.currency());
        }
        if (!to.currency().equals(request.currency())) {
            throw new CurrencyMismatchException(to.accountId(), to.currency(), request.currency());
        }
        Money.add(to.balance(), request.amount());

        TransferDebitedEvent debit = accounts.debitForTransfer(new DebitForTransferCommand(request.fromAccountId(),
                newEntryId(), request.transferId(), request.toAccountId(), request.amount(), request.currency(),
                request.reference(), origin));
        TransferCreditedEvent credit = accounts.creditForTransfer(new CreditForTransferCommand(request.toAccountId(),
                newEntryId(), request.transferId(), request.fromAccountId(), request.amount(), request.currency(),
                request.reference(), origin));
        Transfer transfer = new Transfer(request.transferId(), request.fromAccountId(), request.toAccountId(),
                request.amount(), request.currency(), request.reference(), Transfer.COMPLETED, debit.version(),
                credit.version(), origin.occurredAt());
        transfers.insert(transfer, origin.requestId(), origin.clientId());
        return transfer;
    }

    private static String newEntryId() {
        return UUID.randomUUID().toString();
    }

    /** What a client asks to move. */
    public record TransferRequest(String transferId, String fromAccountId, String toAccountId, long amount,
                                  String currency, String reference) {
    }
}
