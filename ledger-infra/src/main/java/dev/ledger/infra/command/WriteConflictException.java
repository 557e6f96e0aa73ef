package dev.ledger.infra.command;

/** A write kept losing races for the same account versions until its retries ran out. */
public class WriteConflictException extends RuntimeException {

    public WriteConflictException(int attempts, Throwable last) {
        super("write conflict persisted after " + attempts + " attempts", last);
    }
}
