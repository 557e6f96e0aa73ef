package dev.ledger.api.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Poll;
import org.junit.jupiter.api.Test;

/**
 * Proves that a relay round whose balance update finds a read-model row no longer at the version it
 * read stops before its commit, though the commit travels in the same round trip as the update:
 * nothing of the round is kept (no feed row, the outbox row still there), and the account is parked
 * at that version rather than its balance left behind its feed.
 *
 * <p>A trigger on the feed stands in for a writer that moves the row behind the relay's back: when
 * the victim's third event is inserted into the feed, it bumps the victim's balance row by 1,000
 * versions, in the round's own transaction, just before the round's balance update runs.
 */
class ReadModelGuardTest extends IntegrationTest {

    private static final String DEAD_LETTERS = "/api/v1/admin/dead-letters";

    @Test
    void a_balance_row_moved_behind_the_rounds_back_stops_the_round_before_its_commit() {
        String victim = unique("guarded");
        Api.created(ledger.openAccount(victim, "EUR", 0));
        Api.created(ledger.deposit(victim, 100, "EUR"));
        Poll.until("the victim's read model at version 2", () -> ledger.get("/api/v1/accounts/" + victim
                + "?minVersion=2"), reply -> reply.status() == 200);

        String trigger = Rows.identifier("moved_behind");
        try {
            Rows.execute("create function " + trigger + "() returns trigger language plpgsql as $$ begin"
                            + " update account_balance set version = version + 1000"
                            + " where account_id = new.account_id; return null; end $$",
                    "create trigger " + trigger + " after insert on event_feed for each row"
                            + " when (new.account_id = " + Rows.literal(victim) + " and new.version = 3)"
                            + " execute function " + trigger + "()");

            Api.created(ledger.deposit(victim, 10, "EUR"));
            JsonNode letter = Poll.until("the victim parked", () -> deadLetter(victim), item -> item != null);
            assertThat(letter.get("version").asLong()).as("the version parked").isEqualTo(3);
            assertThat(Rows.count("select count(*) from event_feed where account_id = ? and version = 3", victim))
                    .as("feed rows of version 3 while the row moves").isZero();
            assertThat(Rows.count("select count(*) from outbox_event where account_id = ? and version = 3", victim))
                    .as("outbox rows of version 3 still to deliver").isEqualTo(1);
            assertThat(Rows.count("select version from account_balance where account_id = ?", victim))
                    .as("the read model's version (the trigger's bump never committed)").isEqualTo(2);
        } finally {
            Rows.executeAll("drop trigger if exists " + trigger + " on event_feed",
                    "drop function if exists " + trigger + "()");
        }

        Reply retried = ledger.post(DEAD_LETTERS + "/" + victim + "/retry", "{}");
        assertThat(retried.status()).as(retried.body()).isEqualTo(202);
        Reply caughtUp = Poll.until("the victim at version 3", () -> ledger.get("/api/v1/accounts/" + victim
                + "?minVersion=3"), reply -> reply.status() == 200);
        assertThat(caughtUp.json().get("balance").asLong()).isEqualTo(110);
        assertThat(Rows.query("select version from event_feed where account_id = ? order by position", victim))
                .extracting(row -> ((Number) row.get(0)).longValue()).containsExactly(1L, 2L, 3L);
        assertThat(deadLetter(victim)).as("parked after the retry").isNull();
    }

    /** The victim's dead letter, if parked; null otherwise. */
    private JsonNode deadLetter(String victim) {
        Reply reply = ledger.get(DEAD_LETTERS);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        JsonNode found = null;
        for (JsonNode item : reply.json().get("items")) {
            if (item.get("accountId").asText().equals(victim)) {
                found = item;
            }
        }
        return found;
    }
}
