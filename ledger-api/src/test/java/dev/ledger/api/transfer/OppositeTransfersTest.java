package dev.ledger.api.transfer;

import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.infra.command.IdempotentExecutor;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient;
import dev.ledger.support.LedgerClient.Reply;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Proves that transfers A→B and B→A sent in parallel — to one service, or split between two
 * service processes on one database — queue on the two accounts' locks instead of deadlocking:
 * every one completes (no 503, no 500, no retried write, no PostgreSQL deadlock) within a bounded
 * time, money is neither created nor lost, and both histories stay consecutive.
 */
class OppositeTransfersTest extends IntegrationTest {

    private static final int THREADS_EACH_WAY = 4;
    private static final int TRANSFERS_PER_THREAD = 50;
    private static final long FUNDS = 1_000_000;
    /** Generous for a shared 2-core machine; a deadlock or lock timeout would show as a 503 long before. */
    private static final Duration RUN_MAX = Duration.ofSeconds(120);
    /** Start-up of a whole service JVM on a busy 2-core machine. */
    private static final Duration START_WAIT_MAX = Duration.ofSeconds(150);

    @Autowired
    private IdempotentExecutor executor;

    @Test
    void opposite_transfers_in_parallel_all_complete_without_deadlock_and_preserve_the_sum() throws Exception {
        runOppositeTransfers(List.of(ledger));
    }

    /**
     * Across instances only the database's account locks order the two directions: half the
     * threads of each direction go to this service, half to a second service process on the
     * same database.
     */
    @Test
    void opposite_transfers_split_between_two_service_instances_all_complete_without_deadlock() throws Exception {
        try (ForkedLedger other = ForkedLedger.start("opposite")) {
            other.awaitHealthy(START_WAIT_MAX);
            runOppositeTransfers(List.of(ledger, other.client()));
            assertThat(other.isAlive()).as("the second instance is still up").isTrue();
        }
    }

    /** Thread t sends A→B when t is even, B→A when odd, to instance (t / 2) modulo the number of instances. */
    private void runOppositeTransfers(List<LedgerClient> instances) throws Exception {
        String a = unique("opp-a");
        String b = unique("opp-b");
        for (String account : List.of(a, b)) {
            assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
            assertThat(ledger.deposit(account, FUNDS, "EUR").status()).isEqualTo(201);
        }
        long retriedBefore = executor.retriedWrites();
        long deadlocksBefore = databaseDeadlocks();

        int threads = 2 * THREADS_EACH_WAY;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<List<Sent>>> futures = new ArrayList<>();
        long started;
        long elapsed;
        List<Sent> sent = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                boolean forward = t % 2 == 0;
                String from = forward ? a : b;
                String to = forward ? b : a;
                LedgerClient instance = instances.get((t / 2) % instances.size());
                futures.add(pool.submit(() -> {
                    ready.countDown();
                    if (!start.await(30, SECONDS)) {
                        throw new IllegalStateException("the start gate never opened");
                    }
                    List<Sent> mine = new ArrayList<>();
                    for (int i = 0; i < TRANSFERS_PER_THREAD; i++) {
                        String transferId = unique("opp");
                        long amount = ThreadLocalRandom.current().nextLong(1, 1001);
                        Reply reply = instance.post("/api/v1/transfers", unique("key"), null,
                                TransfersApiTest.body(transferId, from, to, amount, "EUR", null));
                        mine.add(new Sent(transferId, from, to, amount, reply));
                        if (reply.status() != 201) {
                            break; // fail fast: one refused or failed transfer already fails the test
                        }
                    }
                    return mine;
                }));
            }
            assertThat(ready.await(30, SECONDS)).as("all threads ready").isTrue();
            started = System.nanoTime();
            start.countDown();
            long deadline = started + RUN_MAX.toNanos();
            for (Future<List<Sent>> future : futures) {
                try {
                    sent.addAll(future.get(Math.max(0, deadline - System.nanoTime()), NANOSECONDS));
                } catch (TimeoutException stuck) {
                    throw new AssertionError("opposite transfers did not all finish within " + RUN_MAX
                            + " (deadlocked or stuck on a lock?)", stuck);
                }
            }
            elapsed = System.nanoTime() - started;
        } finally {
            start.countDown();
            pool.shutdownNow();
            assertThat(pool.awaitTermination(30, SECONDS)).as("client threads ended").isTrue();
        }

        System.out.printf("%d opposite transfers on %d instance(s) took %d ms%n", sent.size(), instances.size(),
                Duration.ofNanos(elapsed).toMillis());
        Map<Integer, Long> statuses = new HashMap<>();
        sent.forEach(s -> statuses.merge(s.reply().status(), 1L, Long::sum));
        assertThat(statuses).as("answers by status (first non-201: %s)", sent.stream()
                .filter(s -> s.reply().status() != 201).findFirst().map(Sent::reply).orElse(null))
                .containsOnlyKeys(201);
        assertThat(sent).hasSize(threads * TRANSFERS_PER_THREAD);
        assertThat(Duration.ofNanos(elapsed)).as("time for %d opposite transfers", sent.size()).isLessThan(RUN_MAX);
        assertThat(executor.retriedWrites() - retriedBefore).as("writes that lost a race or a deadlock and were retried")
                .isZero();
        assertThat(databaseDeadlocks() - deadlocksBefore).as("deadlocks PostgreSQL detected").isZero();

        long aToB = sent.stream().filter(s -> s.from().equals(a)).mapToLong(Sent::amount).sum();
        long bToA = sent.stream().filter(s -> s.from().equals(b)).mapToLong(Sent::amount).sum();
        History historyA = History.read(ledger, a);
        History historyB = History.read(ledger, b);
        long total = threads * TRANSFERS_PER_THREAD;
        assertThat(historyA.version()).isEqualTo(2 + total);
        assertThat(historyB.version()).isEqualTo(2 + total);
        assertThat(historyA.balance()).isEqualTo(FUNDS - aToB + bToA);
        assertThat(historyB.balance()).isEqualTo(FUNDS - bToA + aToB);
        assertThat(historyA.balance() + historyB.balance()).as("sum of both balances").isEqualTo(2 * FUNDS);

        JsonNode readA = ledger.account(a).json();
        JsonNode readB = ledger.account(b).json();
        assertThat(readA.get("balance").asLong()).isEqualTo(historyA.balance());
        assertThat(readB.get("balance").asLong()).isEqualTo(historyB.balance());
        assertThat(readA.get("version").asLong()).isEqualTo(historyA.version());
        assertThat(readB.get("version").asLong()).isEqualTo(historyB.version());

        for (Sent s : sent) {
            History payer = s.from().equals(a) ? historyA : historyB;
            History payee = s.from().equals(a) ? historyB : historyA;
            List<JsonNode> debits = payer.legs("TRANSFER_DEBIT", s.transferId());
            List<JsonNode> credits = payee.legs("TRANSFER_CREDIT", s.transferId());
            assertThat(debits).as("debits of %s", s.transferId()).hasSize(1);
            assertThat(credits).as("credits of %s", s.transferId()).hasSize(1);
            JsonNode answer = s.reply().json();
            assertThat(debits.get(0).get("version").asLong()).isEqualTo(answer.get("fromVersion").asLong());
            assertThat(credits.get(0).get("version").asLong()).isEqualTo(answer.get("toVersion").asLong());
            assertThat(debits.get(0).get("amount").asLong()).isEqualTo(s.amount());
        }
    }

    private static long databaseDeadlocks() {
        return Rows.count("select deadlocks from pg_stat_database where datname = current_database()");
    }

    private record Sent(String transferId, String from, String to, long amount, Reply reply) {
    }
}
