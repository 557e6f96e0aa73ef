package dev.ledger.domain.account;

/**
 * A command to one account: every command the {@link Account} aggregate handles. The command bus
 * finds its target account through {@link #accountId()}, read directly, instead of searching the
 * command's members for Axon's target annotations on every command.
 */
public interface AccountCommand {

    /** The account the command is for. */
    String accountId();
}
