package dev.ledger.domain.account;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import org.axonframework.commandhandling.GenericCommandMessage;
import org.axonframework.modelling.command.VersionedAggregateIdentifier;
import org.junit.jupiter.api.Test;

class AccountCommandTargetTest {

    private static final Origin ORIGIN = new Origin(Instant.parse("2026-11-25T00:00:00Z"), "req-1", "client-1");

    private final AccountCommandTarget target = new AccountCommandTarget();

    @Test
    void every_account_command_targets_its_account_and_pins_no_version_for_axon() {
        List<AccountCommand> commands = List.of(
                new OpenAccountCommand("acc-open", "EUR", 0, ORIGIN),
                new DepositMoneyCommand("acc-deposit", "e-1", 5, "EUR", null, 7L, ORIGIN),
                new WithdrawMoneyCommand("acc-withdraw", "e-2", 5, "EUR", null, 7L, ORIGIN),
                new DebitForTransferCommand("acc-debit", "e-3", "t-1", "acc-credit", 5, "EUR", null, ORIGIN),
                new CreditForTransferCommand("acc-credit", "e-4", "t-1", "acc-debit", 5, "EUR", null, ORIGIN));

        for (AccountCommand command : commands) {
            VersionedAggregateIdentifier resolved =
                    target.resolveTarget(GenericCommandMessage.asCommandMessage(command));
            assertThat(resolved.getIdentifier()).as("%s", command).isEqualTo(command.accountId());
            // A version pinned with If-Match is the account's to check (a refusal it answers),
            // not Axon's (which would throw its own conflict exception instead).
            assertThat(resolved.getVersion()).as("%s", command).isNull();
        }
    }

    @Test
    void a_command_to_no_account_is_refused() {
        assertThatThrownBy(() -> target.resolveTarget(GenericCommandMessage.asCommandMessage("not a command")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a command to an account");
        assertThatThrownBy(() -> target.resolveTarget(GenericCommandMessage.asCommandMessage(
                new DepositMoneyCommand(null, "e-1", 5, "EUR", null, null, ORIGIN))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("names no account");
    }
}
