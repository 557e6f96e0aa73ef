package dev.ledger.api.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.Poll;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Proves that a read-model update failing on one account parks that account alone behind its
 * failed version while every other account goes on, and that a retry delivers the parked events
 * exactly once and in order.
 */
class HandlerFailureTest extends IntegrationTest {

    private static final String DEAD_LETTERS = "/api/v1/admin/dead-letters";

    @Test
    void a_failing_read_model_update_parks_only_its_account_and_a_retry_catches_it_up_in_order() {
        String victim = unique("victim");
        List<String> others = List.of(unique("bystander"), unique("bystander"), unique("bystander"));
        Map<String, Long> balances = new LinkedHashMap<>();
        for (String account : concat(victim, others)) {
            Api.created(ledger.openAccount(account, "EUR", 0));
            Api.created(ledger.deposit(account, 100, "EUR"));
            balances.put(account, 100L);
        }
        assertThat(ledger.account(victim).json().get("version").asLong()).isEqualTo(2);
        long parkedBefore = Rows.count("select count(*) from relay_dead_letter where released_at is null");
        assertThat(parkedBefore).as("accounts parked before this test").isZero();

        String trigger = Rows.identifier("handler_failure");
        try {
            // The read model refuses every balance update of the victim, as a broken handler would.
            Rows.execute("create function " + trigger + "() returns trigger language plpgsql as $$ begin"
                            + " raise exception 'simulated read-model failure'; end $$",
                    "create trigger " + trigger + " before update on account_balance for each row"
                            + " when (new.account_id = " + Rows.literal(victim) + ")"
                            + " execute function " + trigger + "()");

            long[] victimDeposits = {10, 20, 30};
            for (long amount : victimDeposits) {
                JsonNode entry = Api.created(ledger.deposit(victim, amount, "EUR"));
                balances.merge(victim, amount, Long::sum);
                assertThat(entry.get("balance").asLong()).as("the write path is unaffected")
                        .isEqualTo(balances.get(victim));
            }
            for (String other : others) {
                for (long amount : new long[] {5, 7}) {
                    Api.created(ledger.deposit(other, amount, "EUR"));
                    balances.merge(other, amount, Long::sum);
                }
            }

            JsonNode parked = Poll.until("the victim in the dead letters", this::deadLetters,
                    items -> find(items, victim).isPresent());
            assertThat(parked).as("only the victim is parked").hasSize(1);
            JsonNode letter = find(parked, victim).orElseThrow();
            assertThat(letter.get("version").asLong()).as("the failed version").isEqualTo(3);
            assertThat(letter.get("error").asText()).contains("simulated read-model failure");
            assertThat(letter.get("attempts").asInt()).isEqualTo(1);
            assertThat(Instant.parse(letter.get("parkedAt").asText())).isBefore(Instant.now().plusSeconds(1));
            assertThat(Scrape.of(ledger).value("ledger_relay_dead_letters")).isEqualTo(parkedBefore + 1);

            // Everyone else goes on: the settle wait leaves parked accounts out.
            Projections.awaitSettled();
            for (String other : others) {
                JsonNode read = ledger.get("/api/v1/accounts/" + other).json();
                assertThat(read.get("version").asLong()).as("version of %s", other).isEqualTo(4);
                assertThat(read.get("balance").asLong()).as("balance of %s", other).isEqualTo(112);
            }

            // The victim stays where it was before the failure, its later events waiting behind it.
            assertVictimStuckAtTwo(victim);
            Reply behind = ledger.get("/api/v1/accounts/" + victim + "?minVersion=5");
            Api.assertProblem(behind, 503, "projection-behind");
            assertThat(behind.header("Retry-After")).as("Retry-After").matches("[1-9][0-9]*");
            assertThat(behind.json().get("currentVersion").asLong()).isEqualTo(2);

            // A retry while the handler still fails parks the victim again at the same version.
            Instant firstParking = Instant.parse(letter.get("parkedAt").asText());
            assertThat(ledger.post(DEAD_LETTERS + "/" + victim + "/retry", "{}").status()).isEqualTo(202);
            JsonNode again = Poll.until("the victim parked again", this::deadLetters, items -> find(items, victim)
                    .filter(item -> Instant.parse(item.get("parkedAt").asText()).isAfter(firstParking)).isPresent());
            assertThat(find(again, victim).orElseThrow().get("version").asLong()).isEqualTo(3);
            assertThat(find(again, victim).orElseThrow().get("attempts").asInt()).as("attempts so far").isEqualTo(2);
            assertVictimStuckAtTwo(victim);
        } finally {
            Rows.executeAll("drop trigger if exists " + trigger + " on account_balance",
                    "drop function if exists " + trigger + "()");
        }

        Reply retried = ledger.post(DEAD_LETTERS + "/" + victim + "/retry", "{}");
        assertThat(retried.status()).as(retried.body()).isEqualTo(202);

        Reply caughtUp = Poll.until("the victim at version 5", () -> ledger.get("/api/v1/accounts/" + victim
                + "?minVersion=5"), reply -> reply.status() == 200);
        assertThat(caughtUp.header("ETag")).isEqualTo("\"5\"");
        List<JsonNode> history = Api.history(ledger, victim);
        assertThat(history).hasSize(5);
        assertThat(caughtUp.json().get("balance").asLong()).as("balance against the event store")
                .isEqualTo(history.get(4).get("balanceAfter").asLong()).isEqualTo(160);

        List<List<Object>> lines = Rows.query("select version, position, balance_after from event_feed"
                + " where account_id = ? order by position", victim);
        assertThat(lines).extracting(row -> ((Number) row.get(0)).longValue()).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(lines).extracting(row -> ((Number) row.get(2)).longValue())
                .containsExactly(0L, 100L, 110L, 130L, 160L);
        List<Long> positions = lines.stream().map(row -> ((Number) row.get(1)).longValue()).toList();
        assertThat(positions).as("feed positions of versions 1..5").isSorted().doesNotHaveDuplicates();
        List<JsonNode> fromFeedApi = Api.feed(ledger, positions.get(0) - 1, 1000).stream()
                .filter(item -> item.get("accountId").asText().equals(victim)).toList();
        assertThat(fromFeedApi).extracting(item -> item.get("version").asLong()).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(fromFeedApi).extracting(item -> item.get("position").asLong()).isEqualTo(positions);

        assertThat(deadLetters()).isEmpty();
        assertThat(Scrape.of(ledger).value("ledger_relay_dead_letters")).isEqualTo(parkedBefore);
        for (String account : concat(victim, others)) {
            JsonNode read = ledger.account(account).json();
            assertThat(read.get("balance").asLong()).as("balance of %s", account).isEqualTo(balances.get(account));
        }

        Api.assertProblem(ledger.post(DEAD_LETTERS + "/" + victim + "/retry", "{}"), 404, "not-found");
        Api.assertProblem(ledger.post(DEAD_LETTERS + "/" + unique("never-parked") + "/retry", "{}"), 404,
                "not-found");
    }

    private void assertVictimStuckAtTwo(String victim) {
        Reply read = ledger.get("/api/v1/accounts/" + victim);
        assertThat(read.status()).as(read.body()).isEqualTo(200);
        assertThat(read.json().get("version").asLong()).isEqualTo(2);
        assertThat(read.json().get("balance").asLong()).isEqualTo(100);
        assertThat(read.header("ETag")).isEqualTo("\"2\"");
        assertThat(Rows.count("select coalesce(max(version), 0) from event_feed where account_id = ?", victim))
                .isEqualTo(2);
        assertThat(Rows.query("select version from outbox_event where account_id = ? and relayed_at is null"
                + " order by version", victim)).extracting(row -> ((Number) row.get(0)).longValue())
                .as("undelivered outbox rows of the victim").containsExactly(3L, 4L, 5L);
    }

    private JsonNode deadLetters() {
        Reply reply = ledger.get(DEAD_LETTERS);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.json().get("items");
    }

    private static Optional<JsonNode> find(JsonNode items, String accountId) {
        for (JsonNode item : items) {
            if (item.get("accountId").asText().equals(accountId)) {
                return Optional.of(item);
            }
        }
        return Optional.empty();
    }

    private static List<String> concat(String first, List<String> rest) {
        List<String> all = new ArrayList<>();
        all.add(first);
        all.addAll(rest);
        return all;
    }
}
