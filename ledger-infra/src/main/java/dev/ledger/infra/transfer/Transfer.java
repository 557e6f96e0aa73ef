package dev.ledger.infra.transfer;

import java.time.Instant;

/** A completed transfer: both legs committed, at these versions of the two accounts. */
public record Transfer(String transferId, String fromAccountId, String toAccountId, long amount, String currency,
                       String reference, String status, long fromVersion, long toVersion, Instant createdAt) {

    public static final String COMPLETED = "COMPLETED";
}
