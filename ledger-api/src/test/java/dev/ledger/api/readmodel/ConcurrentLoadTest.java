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
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Proves that under concurrent mixed deposits and withdrawals every account's read model and
 * feed rows equal its event history row by row, and that the global feed carries every stored
 * event exactly once, in increasing positions and per-account version order.
 */
class ConcurrentLoadTest extends IntegrationTest {

    private static final int THREADS = 8;
    private static final int ACCOUNTS = 24;
    private static final int OPERATIONS_PER_THREAD = 50;

    @Test
    void concurrent_deposits_and_withdrawals_leave_read_models_and_feed_equal_to_the_event_store()
            throws Exception {
        List<String> accounts = new ArrayList<>();
        for (int i = 0; i < ACCOUNTS; i++) {
            String account = unique("load-" + i);
            Api.created(ledger.openAccount(account, i % 3 == 0 ? "USD" : "EUR", i % 4 == 0 ? 500 : 0));
            accounts.add(account);
        }
        long seed = System.nanoTime();

        List<Outcome> outcomes = runConcurrently(accounts, seed);

        Map<Integer, Long> statuses = new HashMap<>();
        outcomes.forEach(outcome -> statuses.merge(outcome.status(), 1L, Long::sum));
        assertThat(statuses.keySet()).as("answers (seed %d): %s", seed, statuses).isSubsetOf(201, 422);
        assertThat(outcomes).filteredOn(outcome -> outcome.status() == 422)
                .allSatisfy(outcome -> {
                    assertThat(outcome.withdrawal()).as("only withdrawals are refused").isTrue();
                    assertThat(outcome.code()).isEqualTo("insufficient-funds");
                });
        long written = outcomes.stream().filter(outcome -> outcome.status() == 201).count();
        assertThat(written).as("entries written (seed %d)", seed).isGreaterThan(THREADS * OPERATIONS_PER_THREAD / 2);

        Projections.awaitSettled();
        assertThat(Rows.count("select count(*) from relay_dead_letter where released_at is null")).as("parked accounts").isZero();

        long historyEvents = 0;
        for (String account : accounts) {
            List<JsonNode> history = Api.history(ledger, account);
            historyEvents += history.size();
            JsonNode last = history.get(history.size() - 1);
            Reply read = ledger.get("/api/v1/accounts/" + account);
            assertThat(read.status()).as(read.body()).isEqualTo(200);
            assertThat(read.json().get("version").asLong()).as("version of %s", account)
                    .isEqualTo(last.get("version").asLong());
            assertThat(read.json().get("balance").asLong()).as("balance of %s", account)
                    .isEqualTo(last.get("balanceAfter").asLong());
            assertThat(read.header("ETag")).isEqualTo("\"" + last.get("version").asLong() + "\"");
            assertFeedRowsEqualHistory(account, history);
        }
        assertThat(historyEvents).isEqualTo(ACCOUNTS + written);

        List<JsonNode> feed = Api.feed(ledger, 0, 200);
        long previous = 0;
        Set<String> seen = new HashSet<>();
        Map<String, Long> lastVersion = new HashMap<>();
        for (JsonNode item : feed) {
            long position = item.get("position").asLong();
            assertThat(position).as("position after %d", previous).isGreaterThan(previous);
            previous = position;
            String account = item.get("accountId").asText();
            long version = item.get("version").asLong();
            assertThat(seen.add(account + "#" + version)).as("%s version %d once on the feed", account, version)
                    .isTrue();
            long expected = lastVersion.getOrDefault(account, 0L) + 1;
            assertThat(version).as("version of %s after %d on the feed", account, expected - 1).isEqualTo(expected);
            lastVersion.put(account, version);
        }
        for (String account : accounts) {
            assertThat(lastVersion.get(account)).as("last version of %s on the feed", account)
                    .isEqualTo(Api.history(ledger, account).size());
        }
        assertThat((long) feed.size()).as("feed items against events in the store")
                .isEqualTo(Rows.count("select count(*) from domain_event_entry"));
    }

    /** The account's feed rows (read straight from the table) are the history, row by row. */
    private static void assertFeedRowsEqualHistory(String account, List<JsonNode> history) {
        List<List<Object>> lines = Rows.query("select version, type, amount, currency, balance_after, occurred_at,"
                + " entry_id, reference, position from event_feed where account_id = ? order by version", account);
        assertThat(lines).as("feed rows of %s", account).hasSameSizeAs(history);
        long position = 0;
        for (int i = 0; i < lines.size(); i++) {
            List<Object> line = lines.get(i);
            JsonNode item = history.get(i);
            String what = account + " line " + (i + 1);
            assertThat(((Number) line.get(0)).longValue()).as(what).isEqualTo(item.get("version").asLong());
            assertThat(line.get(1)).as(what).isEqualTo(item.get("type").asText());
            assertThat(line.get(2) == null ? null : ((Number) line.get(2)).longValue()).as(what)
                    .isEqualTo(item.hasNonNull("amount") ? item.get("amount").asLong() : null);
            assertThat(line.get(3)).as(what).isEqualTo(item.get("currency").asText());
            assertThat(((Number) line.get(4)).longValue()).as(what).isEqualTo(item.get("balanceAfter").asLong());
            assertThat(instant(line.get(5))).as(what).isEqualTo(Instant.parse(item.get("occurredAt").asText()));
            assertThat(line.get(6)).as(what).isEqualTo(item.hasNonNull("entryId") ? item.get("entryId").asText() : null);
            assertThat(line.get(7)).as(what)
                    .isEqualTo(item.hasNonNull("reference") ? item.get("reference").asText() : null);
            long linePosition = ((Number) line.get(8)).longValue();
            assertThat(linePosition).as("position of %s", what).isGreaterThan(position);
            position = linePosition;
        }
    }

    private static Instant instant(Object column) {
        if (column instanceof java.sql.Timestamp timestamp) {
            return timestamp.toInstant();
        }
        return ((OffsetDateTime) column).toInstant();
    }

    private List<Outcome> runConcurrently(List<String> accounts, long seed) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<List<Outcome>>> futures = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                Random random = new Random(seed + t);
                futures.add(threads.submit(() -> {
                    if (!start.await(Poll.WAIT.toSeconds(), SECONDS)) {
                        throw new TimeoutException("the start gate never opened");
                    }
                    List<Outcome> outcomes = new ArrayList<>();
                    for (int op = 0; op < OPERATIONS_PER_THREAD; op++) {
                        int index = random.nextInt(accounts.size());
                        String account = accounts.get(index);
                        String currency = index % 3 == 0 ? "USD" : "EUR";
                        boolean withdrawal = random.nextInt(5) < 2;
                        long amount = 1 + random.nextInt(withdrawal ? 900 : 1000);
                        Reply reply = withdrawal ? ledger.withdraw(account, amount, currency)
                                : ledger.deposit(account, amount, currency);
                        outcomes.add(new Outcome(withdrawal, reply.status(),
                                reply.status() == 201 ? null : reply.json().path("code").asText()));
                    }
                    return outcomes;
                }));
            }
            start.countDown();
            long deadline = System.nanoTime() + 4 * Poll.WAIT.toNanos();
            List<Outcome> all = new ArrayList<>();
            for (Future<List<Outcome>> future : futures) {
                all.addAll(future.get(Math.max(0, deadline - System.nanoTime()), NANOSECONDS));
            }
            return all;
        } finally {
            start.countDown();
            threads.shutdownNow();
            assertThat(threads.awaitTermination(Poll.WAIT.toSeconds(), SECONDS)).as("load threads ended").isTrue();
        }
    }

    private record Outcome(boolean withdrawal, int status, String code) {
    }
}
