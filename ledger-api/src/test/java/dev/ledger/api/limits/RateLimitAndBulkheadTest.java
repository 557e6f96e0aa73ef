package dev.ledger.api.limits;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.TestDatabase;
import dev.ledger.support.TestKeys;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Proves that a client bursting past its rate limit gets 429 rate-limited with Retry-After while
 * other clients are served, that writes beyond the command bulkhead get 503 overloaded with
 * Retry-After and leave nothing half-written, and that service is normal again afterwards.
 */
class RateLimitAndBulkheadTest extends IntegrationTest {

    private static final int BURST = 30;
    private static final int LIMIT_FOR_TEST = 5;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Autowired
    private RateLimiterRegistry limiters;

    @Autowired
    private Bulkhead commandBulkhead;

    @Autowired
    private LimitsProperties limits;

    @Test
    void a_burst_past_the_rate_limit_gets_429_with_retry_after_and_other_clients_and_later_requests_are_served()
            throws Exception {
        String account = unique("rate");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        String path = "/api/v1/accounts/" + account;
        RateLimiter auditor = limiters.rateLimiter("dev-auditor");
        ExecutorService threads = Executors.newFixedThreadPool(BURST + 10);
        try {
            auditor.changeLimitForPeriod(LIMIT_FOR_TEST);
            // The new limit holds from the next refresh period on: use up the current one until it bites.
            Reply first429 = pollUntil(() -> get(path, TestKeys.AUDITOR), reply -> reply.status() == 429, WAIT);
            assertThat(first429.status()).as("the lowered limit bites within %s", WAIT).isEqualTo(429);

            CountDownLatch start = new CountDownLatch(1);
            List<Future<Reply>> auditorCalls = submit(threads, start, BURST, () -> get(path, TestKeys.AUDITOR));
            List<Future<Reply>> paymentsCalls = submit(threads, start, 10, () -> get(path, TestKeys.PAYMENTS));
            long began = System.nanoTime();
            start.countDown();
            List<Reply> auditorReplies = results(auditorCalls);
            long burstMillis = Duration.ofNanos(System.nanoTime() - began).toMillis();
            List<Reply> paymentsReplies = results(paymentsCalls);

            List<Reply> limited = auditorReplies.stream().filter(reply -> reply.status() == 429).toList();
            long served = auditorReplies.stream().filter(reply -> reply.status() == 200).count();
            assertThat(auditorReplies).extracting(Reply::status).isSubsetOf(200, 429);
            assertThat(limited).as("auditor requests refused in the burst").isNotEmpty();
            // Each refresh period the burst overlaps grants at most the lowered limit.
            assertThat(served).as("auditor requests served in a burst of %d ms", burstMillis)
                    .isLessThanOrEqualTo(LIMIT_FOR_TEST * (burstMillis / 1000 + 1));
            for (Reply reply : limited) {
                assertThat(reply.header("Content-Type")).startsWith("application/problem+json");
                JsonNode problem = reply.json();
                assertThat(problem.path("code").asText()).isEqualTo("rate-limited");
                assertThat(problem.path("status").asInt()).isEqualTo(429);
                assertThat(reply.header("Retry-After")).as("Retry-After").matches("[1-9][0-9]*");
            }
            assertThat(paymentsReplies).as("another client during the burst").extracting(Reply::status)
                    .containsOnly(200);

            // Retry-After is honest: once it has passed, the auditor is served again.
            long retryAfter = Long.parseLong(limited.get(0).header("Retry-After"));
            Reply later = pollUntil(() -> get(path, TestKeys.AUDITOR), reply -> reply.status() == 200,
                    Duration.ofSeconds(retryAfter + 1));
            assertThat(later.status()).as(later.body()).isEqualTo(200);
            assertThat(later.json().get("accountId").asText()).isEqualTo(account);
        } finally {
            auditor.changeLimitForPeriod(limits.requestsPerSecond());
            threads.shutdownNow();
        }
        // With the configured limit back (from the next period on), a whole burst is served again.
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<Reply> burst;
        do {
            assertThat(deadline - System.nanoTime()).as("time left for the configured limit to return").isPositive();
            ExecutorService again = Executors.newFixedThreadPool(BURST);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Reply>> calls = submit(again, start, BURST, () -> get(path, TestKeys.AUDITOR));
                start.countDown();
                burst = results(calls);
            } finally {
                again.shutdownNow();
            }
        } while (burst.stream().anyMatch(reply -> reply.status() == 429));
        assertThat(burst).extracting(Reply::status).containsOnly(200);
    }

    @Test
    void writes_beyond_the_bulkhead_get_503_with_retry_after_and_leave_nothing_half_written() throws Exception {
        int accounts = 24;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < accounts; i++) {
            String id = unique("bulkhead");
            assertThat(ledger.openAccount(id, "EUR", 0).status()).isEqualTo(201);
            ids.add(id);
        }
        List<Deposit> deposits = new ArrayList<>();
        BulkheadConfig configured = commandBulkhead.getBulkheadConfig();
        ExecutorService threads = Executors.newFixedThreadPool(accounts);
        try {
            commandBulkhead.changeConfig(BulkheadConfig.custom()
                    .maxConcurrentCalls(1)
                    .maxWaitDuration(Duration.ZERO)
                    .build());
            long deadline = System.nanoTime() + WAIT.toNanos();
            for (int round = 1; deposits.stream().noneMatch(Deposit::refused); round++) {
                assertThat(deadline - System.nanoTime()).as("time left for the bulkhead to refuse").isPositive();
                CountDownLatch start = new CountDownLatch(1);
                List<Future<Deposit>> calls = new ArrayList<>();
                for (int i = 0; i < accounts; i++) {
                    Deposit deposit = new Deposit(ids.get(i), unique("bulkhead-key"), 100L * round + i);
                    calls.add(threads.submit(() -> {
                        start.await();
                        return deposit.send(this);
                    }));
                }
                start.countDown();
                for (Future<Deposit> call : calls) {
                    deposits.add(call.get(WAIT.toSeconds(), TimeUnit.SECONDS));
                }
            }
        } finally {
            commandBulkhead.changeConfig(configured);
            threads.shutdownNow();
        }

        assertThat(deposits).extracting(deposit -> deposit.reply.status()).isSubsetOf(201, 503);
        assertThat(deposits).anyMatch(deposit -> deposit.reply.status() == 201);
        for (Deposit refused : deposits.stream().filter(Deposit::refused).toList()) {
            assertThat(refused.reply.header("Content-Type")).startsWith("application/problem+json");
            assertThat(refused.reply.json().path("code").asText()).isEqualTo("overloaded");
            assertThat(refused.reply.header("Retry-After")).as("Retry-After").matches("[1-9][0-9]*");
            assertThat(inboxRows(refused.key)).as("an answer stored for a refused deposit").isZero();
        }
        for (String id : ids) {
            long accepted = deposits.stream().filter(deposit -> deposit.account.equals(id) && !deposit.refused())
                    .count();
            assertThat(events(id)).as("events of %s: opened plus one per 201", id).isEqualTo(1 + accepted);
        }

        // Normal service: every refused deposit, sent again with its key, is executed now, once.
        for (Deposit refused : deposits.stream().filter(Deposit::refused).toList()) {
            Reply retried = new Deposit(refused.account, refused.key, refused.amount).send(this).reply;
            assertThat(retried.status()).as(retried.body()).isEqualTo(201);
            assertThat(retried.header("Idempotent-Replayed")).as("a refused deposit was not stored").isNull();
        }
        for (String id : ids) {
            long sum = deposits.stream().filter(deposit -> deposit.account.equals(id))
                    .mapToLong(deposit -> deposit.amount).sum();
            long count = deposits.stream().filter(deposit -> deposit.account.equals(id)).count();
            assertThat(events(id)).as("events of %s", id).isEqualTo(1 + count);
            assertThat(ledger.account(id).json().get("balance").asLong()).as("balance of %s", id).isEqualTo(sum);
        }
    }

    /** One deposit request with its idempotency key, and the answer it got. */
    private record Deposit(String account, String key, long amount, Reply reply) {

        Deposit(String account, String key, long amount) {
            this(account, key, amount, null);
        }

        Deposit send(RateLimitAndBulkheadTest test) {
            Reply answer = test.ledger.post("/api/v1/accounts/" + account + "/deposits", key, null,
                    "{\"amount\":" + amount + ",\"currency\":\"EUR\"}");
            return new Deposit(account, key, amount, answer);
        }

        boolean refused() {
            return reply.status() == 503;
        }
    }

    private Reply get(String path, String apiKey) {
        return ledger.send(HttpRequest.newBuilder(ledger.uri(path)).header("Authorization", "Bearer " + apiKey).GET());
    }

    private static <T> List<Future<T>> submit(ExecutorService threads, CountDownLatch start, int count,
                                              Supplier<T> call) {
        List<Future<T>> calls = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            calls.add(threads.submit(() -> {
                start.await();
                return call.get();
            }));
        }
        return calls;
    }

    private static <T> List<T> results(List<Future<T>> calls) throws Exception {
        List<T> results = new ArrayList<>();
        for (Future<T> call : calls) {
            results.add(call.get(WAIT.toSeconds(), TimeUnit.SECONDS));
        }
        return results;
    }

    private static Reply pollUntil(Supplier<Reply> call, java.util.function.Predicate<Reply> done, Duration within) {
        long deadline = System.nanoTime() + within.toNanos();
        Reply reply = call.get();
        while (!done.test(reply) && deadline - System.nanoTime() > 0) {
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            reply = call.get();
        }
        return reply;
    }

    private static long events(String accountId) {
        return count("select count(*) from domain_event_entry where aggregate_identifier = ?", accountId);
    }

    private static long inboxRows(String key) {
        return count("select count(*) from idempotency_inbox where idempotency_key = ?", key);
    }

    private static long count(String sql, String parameter) {
        return TestDatabase.get().queryLong(sql, parameter);
    }

}
