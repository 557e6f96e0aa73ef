package dev.ledger.api.readmodel;

import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.Poll;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Proves the global feed's contract: a default page of 100, paging by nextAfterPosition that
 * sees every entry once in position order, limits of 1 to 1000 with validation problems outside,
 * an empty page past the end, and items carrying position, account, version, type, currency,
 * balance and a UTC occurredAt.
 */
class GlobalFeedTest extends IntegrationTest {

    private static final String FEED = "/api/v1/events";
    private static final String UTC_INSTANT = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?Z";
    private static final Set<String> ITEM_FIELDS = Set.of("position", "accountId", "version", "type", "amount",
            "currency", "balanceAfter", "occurredAt", "entryId", "transferId", "reference");

    @Test
    void the_feed_answers_a_hundred_items_by_default_and_pages_by_next_after_position() throws Exception {
        ensureFeedHolds(250);
        List<Long> all = positions(Rows.query("select position from event_feed order by position"));

        Reply first = ledger.get(FEED);
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        List<Long> firstPage = positions(first.json().get("items"));
        assertThat(firstPage).as("default page").isEqualTo(all.subList(0, 100));
        assertThat(first.json().get("nextAfterPosition").asLong()).isEqualTo(all.get(99));

        Reply second = ledger.get(FEED + "?afterPosition=" + first.json().get("nextAfterPosition").asLong());
        assertThat(positions(second.json().get("items"))).isEqualTo(all.subList(100, 200));

        List<JsonNode> paged = Api.feed(ledger, 0, 37);
        assertThat(positions(paged)).as("paged 37 at a time").isEqualTo(all);
        assertThat(positions(Api.feed(ledger, 0, 1000))).as("paged 1000 at a time").isEqualTo(all);
        assertThat(positions(Api.feed(ledger, all.get(10), 1))).as("paged one at a time from the 11th")
                .isEqualTo(all.subList(11, all.size()));

        Reply one = ledger.get(FEED + "?afterPosition=0&limit=1");
        assertThat(positions(one.json().get("items"))).containsExactly(all.get(0));
        Reply max = ledger.get(FEED + "?limit=1000");
        assertThat(max.json().get("items").size()).isEqualTo(Math.min(1000, all.size()));
    }

    @Test
    void limits_outside_one_to_a_thousand_and_malformed_positions_are_validation_failures() {
        for (String query : new String[] {"limit=0", "limit=1001", "limit=abc", "limit=-1", "limit=1.5", "limit=",
                "limit=99999999999999999999", "afterPosition=abc", "afterPosition=-1", "afterPosition=1e3"}) {
            Reply reply = ledger.get(FEED + "?" + query);
            JsonNode problem = Api.assertProblem(reply, 400, "validation-failed");
            assertThat(problem.get("detail").asText()).as(query).contains(query.substring(0, query.indexOf('=')));
        }
    }

    @Test
    void a_position_beyond_the_end_answers_an_empty_page_at_that_position() throws Exception {
        ensureFeedHolds(1);
        long beyond = Rows.count("select max(position) from event_feed") + 1_000_000;

        Reply reply = ledger.get(FEED + "?afterPosition=" + beyond + "&limit=10");

        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        assertThat(reply.json().get("items")).isEmpty();
        assertThat(reply.json().get("nextAfterPosition").asLong()).isEqualTo(beyond);
    }

    @Test
    void feed_items_carry_position_account_version_type_currency_balance_and_a_utc_occurred_at() {
        Projections.awaitSettled();
        long before = Rows.count("select coalesce(max(position), 0) from event_feed");
        String account = unique("feed-items");
        Api.created(ledger.openAccount(account, "USD", 0));
        JsonNode deposit = Api.created(ledger.post("/api/v1/accounts/" + account + "/deposits",
                "{\"amount\":1250,\"currency\":\"USD\",\"reference\":\"invoice 7\"}"));
        JsonNode withdrawal = Api.created(ledger.withdraw(account, 250, "USD"));
        Projections.awaitSettled();

        List<JsonNode> items = Api.feed(ledger, before, 100).stream()
                .filter(item -> item.get("accountId").asText().equals(account)).toList();
        List<JsonNode> history = Api.history(ledger, account);

        assertThat(items).hasSize(3);
        assertThat(items).extracting(item -> item.get("type").asText())
                .containsExactly("ACCOUNT_OPENED", "DEPOSIT", "WITHDRAWAL");
        long previous = before;
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            List<String> fields = new ArrayList<>();
            item.fieldNames().forEachRemaining(fields::add);
            assertThat(ITEM_FIELDS).as("fields of %s", item).containsAll(fields);
            assertThat(item.get("position").isIntegralNumber()).isTrue();
            assertThat(item.get("position").asLong()).isGreaterThan(previous);
            previous = item.get("position").asLong();
            assertThat(item.get("accountId").asText()).isEqualTo(account);
            assertThat(item.get("version").asLong()).isEqualTo(i + 1);
            assertThat(item.get("currency").asText()).isEqualTo("USD");
            assertThat(item.get("balanceAfter").isIntegralNumber()).isTrue();
            assertThat(item.get("occurredAt").asText()).matches(UTC_INSTANT);
            assertThat(Instant.parse(item.get("occurredAt").asText())).as("occurredAt as in the history")
                    .isEqualTo(Instant.parse(history.get(i).get("occurredAt").asText()));
        }
        assertThat(items.get(0).get("balanceAfter").asLong()).isZero();
        assertThat(items.get(0).has("amount")).isFalse();
        assertThat(items.get(1).get("amount").asLong()).isEqualTo(1250);
        assertThat(items.get(1).get("balanceAfter").asLong()).isEqualTo(1250);
        assertThat(items.get(1).get("entryId").asText()).isEqualTo(deposit.get("entryId").asText());
        assertThat(items.get(1).get("reference").asText()).isEqualTo("invoice 7");
        assertThat(items.get(2).get("amount").asLong()).isEqualTo(250);
        assertThat(items.get(2).get("balanceAfter").asLong()).isEqualTo(1000);
        assertThat(items.get(2).get("entryId").asText()).isEqualTo(withdrawal.get("entryId").asText());
    }

    /** Writes events (from a few threads, on short streams) until the settled feed holds at least {@code size}. */
    private void ensureFeedHolds(int size) throws Exception {
        Projections.awaitSettled();
        long missing = size - Rows.count("select count(*) from event_feed");
        if (missing > 0) {
            int threads = 8;
            long perThread = (missing + threads - 1) / threads;
            ExecutorService fillers = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    done.add(fillers.submit(() -> {
                        String account = unique("feed-filler");
                        Api.created(ledger.openAccount(account, "EUR", 0));
                        for (long i = 1; i < perThread; i++) {
                            Api.created(ledger.deposit(account, i, "EUR"));
                        }
                    }));
                }
                long deadline = System.nanoTime() + 2 * Poll.WAIT.toNanos();
                for (Future<?> filler : done) {
                    filler.get(Math.max(0, deadline - System.nanoTime()), NANOSECONDS);
                }
            } finally {
                fillers.shutdownNow();
                assertThat(fillers.awaitTermination(Poll.WAIT.toSeconds(), SECONDS)).isTrue();
            }
            Projections.awaitSettled();
        }
        assertThat(Rows.count("select count(*) from event_feed")).isGreaterThanOrEqualTo(size);
    }

    private static List<Long> positions(Iterable<?> rowsOrItems) {
        List<Long> positions = new ArrayList<>();
        for (Object element : rowsOrItems) {
            if (element instanceof JsonNode item) {
                positions.add(item.get("position").asLong());
            } else {
                positions.add(((Number) ((List<?>) element).get(0)).longValue());
            }
        }
        return positions;
    }
}
