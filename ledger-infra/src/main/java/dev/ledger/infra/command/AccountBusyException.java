package dev.ledger.infra.command;

import java.time.Duration;

/** The account stayed busy with other commands for longer than a command may wait. */
public class AccountBusyException extends RuntimeException {

    public AccountBusyException(Duration waited) {
        super("the account is busy; waited " + waited.toMillis() + " ms", null, false, false);
    }
}
