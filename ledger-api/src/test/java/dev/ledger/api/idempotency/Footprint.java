package dev.ledger.api.idempotency;

import dev.ledger.api.idempotency.Wire.Answer;
import dev.ledger.support.Projections;

/**
 * Everything a request could have left behind on one account: its version and balance as the API
 * reports them, the events in its stream and the stored answers that mention it. Two equal
 * footprints taken around a request prove that the request wrote nothing for that account.
 *
 * @param version 0 and balance 0 while the account does not exist
 */
record Footprint(long version, long balance, long events, long storedAnswers) {

    static Footprint of(Wire wire, String accountId) {
        Projections.awaitSettled();
        Answer read = wire.get("/api/v1/accounts/" + accountId);
        long version = 0;
        long balance = 0;
        if (read.status() == 200) {
            version = read.json().get("version").asLong();
            balance = read.json().get("balance").asLong();
        } else if (read.status() != 404) {
            throw new IllegalStateException("cannot read account " + accountId + ": " + read);
        }
        return new Footprint(version, balance, LedgerRows.events(accountId), LedgerRows.inboxRowsMentioning(accountId));
    }
}
