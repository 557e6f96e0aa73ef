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
 * rebuild meeting a feed that is not the first events of each stream fails as a whole and leaves
 * the read models untouched.
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
    void a_rebuild_replays_only_what_the_feed_has_delivered_of_each_stream() {
        // The state of an account whose last event is written but not yet delivered: the feed
        // holds versions 1 to 3 of its 4 events. The rebuild reads the store, and must stop at 3.
        String behind = unique("rebuild-behind");
        openWithThreeDeposits(behind);
        List<String> balances = Rows.dump(BALANCES);
        String saved = "rebuild_saved_" + Long.toHexString(System.nanoTime());
        Rows.execute("create table " + saved + " as select * from event_feed where account_id = '" + behind
                + "' and version = 4");
        try {
            assertThat(Rows.update("delete from event_feed where account_id = ? and version = 4", behind)).isEqualTo(1);
            JsonNode done = rebuild();
            assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("SUCCEEDED");
            assertThat(done.get("processedEvents").asLong()).isEqualTo(done.get("totalEvents").asLong());
            assertThat(Rows.query("select balance, version from account_balance where account_id = ?", behind))
                    .as("the balance as the feed has it: three events, the opening and two deposits")
                    .containsExactly(List.of(30L, 3L));
        } finally {
            Rows.execute("insert into event_feed select * from " + saved, "drop table " + saved);
        }
        JsonNode again = rebuild();
        assertThat(again.get("state").asText()).as(again.toString()).isEqualTo("SUCCEEDED");
        assertThat(Rows.dump(BALANCES)).as("with the feed whole again, every balance as before").isEqualTo(balances);
    }

    /** Opens the account and deposits 10, 20 and 30 EUR minor units (four events), all delivered. */
    private void openWithThreeDeposits(String accountId) {
        Api.created(ledger.openAccount(accountId, "EUR", 0));
        for (int i = 1; i <= 3; i++) {
            Api.created(ledger.deposit(accountId, 10L * i, "EUR"));
        }
        Projections.awaitSettled();
    }

    private JsonNode rebuild() {
        Reply started = ledger.post(REBUILD, "{}");
        assertThat(started.status()).as(started.body()).isEqualTo(202);
        return awaitFinished();
    }

    @Test
    void a_rebuild_over_a_feed_that_names_versions_the_stream_does_not_have_fails_and_leaves_the_read_models_unchanged() {
        // The feed loses sight of version 2 (its row now names a version the store does not have).
        long moved = 1_000_000;
        String broken = unique("rebuild-broken");
        failsAndLeavesTheReadModels(broken,
                "update event_feed set version = version + " + moved + " where account_id = ? and version = 2",
                "update event_feed set version = 2 where account_id = ? and version = " + (2 + moved),
                broken, "version " + (2 + moved), "ends at version 4");
    }

    @Test
    void a_rebuild_over_a_feed_that_does_not_start_at_the_first_version_fails_and_leaves_the_read_models_unchanged() {
        String broken = unique("rebuild-unstarted");
        failsAndLeavesTheReadModels(broken,
                "update event_feed set version = 0 where account_id = ? and version = 2",
                "update event_feed set version = 2 where account_id = ? and version = 0",
                broken, "starts at version 0");
    }

    @Test
    void a_rebuild_over_a_feed_with_events_of_a_stream_the_store_does_not_have_fails_and_leaves_the_read_models_unchanged() {
        String broken = unique("rebuild-ghosted");
        String ghost = unique("rebuild-ghost");
        failsAndLeavesTheReadModels(broken,
                "insert into event_feed (position, account_id, version, type, currency, balance_after, occurred_at,"
                        + " relayed_at) select -position, '" + ghost + "', version, type, currency, balance_after,"
                        + " occurred_at, relayed_at from event_feed where account_id = ? and version = 1",
                "delete from event_feed where account_id = '" + ghost + "' and version = 1 and ? is not null",
                ghost, "were replayed");
    }

    /**
     * Corrupts the feed of a fresh account of four events with one statement, rebuilds, restores the
     * feed with another (each statement takes the account's id as its one parameter and changes
     * one row), and checks that the rebuild failed, naming what it found, and changed nothing.
     */
    private void failsAndLeavesTheReadModels(String broken, String corrupt, String restore, String... named) {
        openWithThreeDeposits(broken);
        List<String> balances = Rows.dump(BALANCES_WITH_UPDATED_AT);
        List<String> feed = Rows.dump(FEED);

        assertThat(Rows.update(corrupt, broken)).isEqualTo(1);
        JsonNode done;
        try {
            done = rebuild();
        } finally {
            assertThat(Rows.update(restore, broken)).as("the feed row restored").isEqualTo(1);
        }

        assertThat(done.get("state").asText()).as(done.toString()).isEqualTo("FAILED");
        assertThat(done.get("error").asText()).contains(named);
        assertThat(done.get("percent").asDouble()).isLessThan(100.0);
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
