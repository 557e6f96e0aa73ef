package dev.ledger.infra.account;

import dev.ledger.domain.LedgerRuleViolation;
import dev.ledger.domain.account.AccountAlreadyExistsException;
import dev.ledger.domain.account.AccountNotFoundException;
import dev.ledger.domain.account.AccountOpenedEvent;
import dev.ledger.domain.account.CreditForTransferCommand;
import dev.ledger.domain.account.DebitForTransferCommand;
import dev.ledger.domain.account.DepositMoneyCommand;
import dev.ledger.domain.account.TransferCreditedEvent;
import dev.ledger.domain.account.TransferDebitedEvent;
import dev.ledger.domain.account.MoneyDepositedEvent;
import dev.ledger.domain.account.MoneyWithdrawnEvent;
import dev.ledger.domain.account.OpenAccountCommand;
import dev.ledger.domain.account.WithdrawMoneyCommand;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.axonframework.eventsourcing.eventstore.EventStore;
import org.axonframework.modelling.command.AggregateNotFoundException;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Propagation;
import org.springframework.transaction.annotation.Transactional;

/**
 * Sends account commands through Axon's command bus, which runs them synchronously in the calling
 * thread and joins the caller's transaction: they must be called inside one (the idempotent
 * executor's), so the events commit with the inbox entry.
 */
@Service
// A refused command has appended nothing, so it must not doom the caller's transaction: the
// caller stores the refusal as the request's answer in that same transaction.
@Transactional(propagation = Propagation.MANDATORY, noRollbackFor = LedgerRuleViolation.class)
public class AccountCommands {

    private final CommandGateway commands;
    private final EventStore eventStore;

    AccountCommands(CommandGateway commands, EventStore eventStore) {
        this.commands = commands;
        this.eventStore = eventStore;
    }

    public AccountOpenedEvent open(OpenAccountCommand command) {
        // A second process may open the same id between this check and the append; the unique
        // (aggregate, sequence) index then refuses the append and the retry lands here again.
        if (eventStore.lastSequenceNumberFor(command.accountId()).isPresent()) {
            throw new AccountAlreadyExistsException(command.accountId());
        }
        commands.sendAndWait(command);
        return (AccountOpenedEvent) eventStore.readEvents(command.accountId()).next().getPayload();
    }

    public MoneyDepositedEvent deposit(DepositMoneyCommand command) {
        return send(command, command.accountId());
    }

    public MoneyWithdrawnEvent withdraw(WithdrawMoneyCommand command) {
        return send(command, command.accountId());
    }

    public TransferDebitedEvent debitForTransfer(DebitForTransferCommand command) {
        return send(command, command.accountId());
    }

    public TransferCreditedEvent creditForTransfer(CreditForTransferCommand command) {
        return send(command, command.accountId());
    }

    private <R> R send(Object command, String accountId) {
        try {
            return commands.sendAndWait(command);
        } catch (AggregateNotFoundException notFound) {
            throw new AccountNotFoundException(accountId);
        }
    }
}
