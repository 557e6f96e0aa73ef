package dev.ledger.api.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.Poll;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves that a read-model rebuild from the event store reproduces the balances exactly and
 * leaves the feed as it was, reports its progress, lets delivery go on afterwards, and that a
 * rebuild meeting a stream that does not fold fails as a whole and leaves the read models
 * untouched.
 */
class RebuildTest extends IntegrationTest {

    private static final String REBUILD = "/api/v1/admin/read-models/rebuild";
    private static final Duration REBUILD_WAIT = Duration.ofSeconds(60);

    private static final String BALANCES = "select account_id, currency, balance, overdraft_limit, version, position"
            + " from account_balance order by account_id";
    private static final String FEED = "select position, account_id, version, type, amount, currency, balance_after,"
            + " overdraft_limit, occurred_at, entry_id, transfer_id, reference, request_id, client_id, relayed_at"
            + " from event_feed order by position";
    private static final String BALANCES_WITH_UPDATED_AT = "select account_id, currency, balance, overdraft_limit,"
            + " version, position, updated_at from account_balance order by account_id";

    @Test
    void a_rebuild_reproduces_balances_exactly_leaves_the_feed_as_it_was_and_delivery_goes_on_after_it() {
        String first = unique("rebuild-a");
        String second = unique("rebuild-b");
        Api.created(ledger.openAccount(first, "EUR", 250));
        Api.created(ledger.openAccount(second, "USD", 0));
        for (int i = 1; i <= 6; i++) {
            Api.created(ledger.deposit(first, 100L * i, "EUR"));
            Api.created(ledger.deposit(second, 7L * i, "USD"));
        }
        Api.created(ledger.withdraw(first, 2000, "EUR"));
        Api.created(ledger.post("/api/v1/accounts/" + second + "/withdrawals", "{\"amount\":11,\"currency\":\"USD\","
                + "\"reference\":\"rebuild \\\"check\\\", with a comma\"}"));
        Projections.awaitSettled();
        List<String> balances = Rows.dump(BALANCES);
        List<String> feed = Rows.dump(FEED);
        long feedEvents = Rows.count("select count(*) from event_feed");
        assertThat(feed).hasSize((int) feedEvents);

        Reply started = ledger.post(REBUILD, "{}");
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        JsonNode accepted = started.json();
        assertThat(accepted.get("state").asText()).isIn("RUNNING", "SUCCEEDED");
        assertThat(accepted.has("percent")).isTrue();
        assertThat(accepted.has("eventsPerSecond")).isTrue();
        assertThat(accepted.has("processedEvents")).isTrue();
        assertThat(Instant.parse(accepted.get("startedAt").asText())).isBefore(Instant.now().plusSeconds(1));

        JsonNode done = awaitFinished();
        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
        assertThat(done.get("percent").asDouble()).isEqualTo(100.0);
        assertThat(done.get("totalEvents").asLong()).isEqualTo(feedEvents);
        assertThat(done.get("processedEvents").asLong()).isEqualTo(feedEvents);
        assertThat(done.get("eventsPerSecond").asDouble()).isGreaterThan(0);
        assertThat(done.has("error")).as(done.toString()).isFalse();
        assertThat(Instant.parse(done.get("finishedAt").asText()))
                .isAfterOrEqualTo(Instant.parse(done.get("startedAt").asText()));

        assertThat(Rows.dump(BALANCES)).as("balances after the rebuild").isEqualTo(balances);
        assertThat(Rows.dump(FEED)).as("the feed is not rebuilt: every row as it was").isEqualTo(feed);

        JsonNode deposit = Api.created(ledger.deposit(first, 55, "EUR"));
        Reply after = ledger.get("/api/v1/accounts/" + first + "?minVersion=" + deposit.get("version").asLong());
        assertThat(after.status()).as(after.body()).isEqualTo(200);
        assertThat(after.json().get("balance").asLong()).isEqualTo(deposit.get("balance").asLong()).isEqualTo(155);
        List<List<Object>> newest = Rows.query("select version, position from event_feed where account_id = ?"
                + " order by version desc limit 2", first);
        assertThat(((Number) newest.get(0).get(0)).longValue()).isEqualTo(9);
        assertThat(((Number) newest.get(0).get(1)).longValue()).as("position of the delivery after the rebuild")
                .isGreaterThan(((Number) newest.get(1).get(1)).longValue())
                .isEqualTo(Rows.count("select max(position) from event_feed"));
    }

    @Test
    void a_rebuild_over_a_stream_that_does_not_fold_fails_and_leaves_the_read_models_unchanged() {
        String broken = unique("rebuild-broken");
        Api.created(ledger.openAccount(broken, "EUR", 0));
        for (int i = 1; i <= 3; i++) {
            Api.created(ledger.deposit(broken, 10L * i, "EUR"));
        }
        Projections.awaitSettled();
        List<String> balances = Rows.dump(BALANCES_WITH_UPDATED_AT);
        List<String> feed = Rows.dump(FEED);
        long feedEvents = Rows.count("select count(*) from event_feed");

        // The feed loses sight of version 2 (its row now names a version the store does not
        // have), so the stream the rebuild replays jumps from version 1 to 3.
        long moved = 1_000_000;
        assertThat(Rows.update("update event_feed set version = version + ? where account_id = ? and version = 2",
                moved, broken)).isEqualTo(1);
        JsonNode done;
        try {
            Reply started = ledger.post(REBUILD, "{}");
            assertThat(started.status()).as(started.body()).isEqualTo(202);
            done = awaitFinished();
        } finally {
            assertThat(Rows.update("update event_feed set version = 2 where account_id = ? and version = ?",
                    broken, 2 + moved)).as("the feed row restored").isEqualTo(1);
        }

        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("FAILED");
        assertThat(done.get("error").asText()).contains(broken, "version 3");
        assertThat(done.get("percent").asDouble()).isLessThan(100.0);
        assertThat(done.get("totalEvents").asLong()).isEqualTo(feedEvents);
        assertThat(done.get("processedEvents").asLong()).isLessThan(feedEvents);
        assertThat(Rows.dump(BALANCES_WITH_UPDATED_AT)).as("balances, rolled back").isEqualTo(balances);
        assertThat(Rows.dump(FEED)).as("the feed, as it was").isEqualTo(feed);

        JsonNode deposit = Api.created(ledger.deposit(broken, 40, "EUR"));
        Reply after = ledger.get("/api/v1/accounts/" + broken + "?minVersion=5");
        assertThat(after.status()).as(after.body()).isEqualTo(200);
        assertThat(after.json().get("balance").asLong()).isEqualTo(deposit.get("balance").asLong()).isEqualTo(100);
    }

    private JsonNode awaitFinished() {
        return Poll.until("the rebuild to finish", REBUILD_WAIT, () -> {
            Reply status = ledger.get(REBUILD);
            assertThat(status.status()).as(status.body()).isEqualTo(200);
            return status.json();
        }, status -> !status.get("state").asText().equals("RUNNING"));
    }
}
