package dev.ledger.api.limits;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.LedgerApplication;
import dev.ledger.support.LedgerClient;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import dev.ledger.support.TestDatabase;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.State;
import io.github.resilience4j.circuitbreaker.CircuitBreaker.StateTransition;
import java.net.URI;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Proves that when the database goes away under write traffic every request is answered quickly
 * with 503 overloaded and Retry-After, the circuit breaker opens and the health check goes DOWN,
 * and that once it is back the breaker closes, writes succeed and not a cent is lost or doubled.
 */
class DatabaseOutageTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int WRITERS = 4;
    /** No request, in any phase, may take longer than this. */
    private static final Duration REQUEST_BOUND = Duration.ofSeconds(5);
    /** Requests the open breaker refuses are answered this fast (the median of them)... */
    private static final Duration FAST_REFUSAL = Duration.ofMillis(200);
    /** ...and each well within the 1 s the service would wait for a connection from the pool. */
    private static final Duration FAST_REFUSAL_EACH = Duration.ofMillis(500);
    private static final Duration PHASE_WAIT = Duration.ofSeconds(20);

    private static TcpProxy proxy;
    private static ConfigurableApplicationContext application;
    private static LedgerClient ledger;
    private static CircuitBreaker breaker;

    @BeforeAll
    static void startTheServiceBehindAProxy() throws Exception {
        TestDatabase database = TestDatabase.get();
        URI server = URI.create(database.url().substring("jdbc:".length()));
        proxy = TcpProxy.to(server.getHost(), server.getPort());
        String proxied = "jdbc:postgresql://127.0.0.1:" + proxy.port() + server.getRawPath()
                + (server.getRawQuery() == null ? "" : "?" + server.getRawQuery());
        // Command-line arguments, which win over application.yml (default properties would not).
        application = new SpringApplicationBuilder(LedgerApplication.class).run(
                "--server.port=0",
                "--spring.datasource.url=" + proxied,
                "--spring.datasource.username=" + database.user(),
                "--spring.datasource.password=" + database.password(),
                "--ledger.limits.database-open-wait=PT2S",
                "--spring.datasource.hikari.connection-timeout=1000");
        int port = ((WebServerApplicationContext) application).getWebServer().getPort();
        ledger = new LedgerClient("http://127.0.0.1:" + port);
        breaker = application.getBean("databaseCircuitBreaker", CircuitBreaker.class);
    }

    @AfterAll
    static void stop() throws Exception {
        if (application != null) {
            application.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    @Test
    void a_database_outage_under_traffic_gets_fast_503s_opens_the_breaker_and_loses_nothing_once_it_is_back()
            throws Exception {
        assertThat(proxy.accepted()).as("the service reaches its database through the proxy").isPositive();
        List<StateTransition> transitions = new CopyOnWriteArrayList<>();
        breaker.getEventPublisher().onStateTransition(event -> transitions.add(event.getStateTransition()));
        List<String> accounts = new ArrayList<>();
        for (int i = 0; i < WRITERS; i++) {
            String account = "outage-" + i + "-" + UUID.randomUUID();
            Reply opened = ledger.openAccount(account, "EUR", 0);
            assertThat(opened.status()).as(opened.body()).isEqualTo(201);
            accounts.add(account);
        }
        Queue<Attempt> attempts = new ConcurrentLinkedQueue<>();
        List<Reply> healthChecks = new CopyOnWriteArrayList<>();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> writers = new ArrayList<>();
        for (int i = 0; i < WRITERS; i++) {
            String account = accounts.get(i);
            int writer = i;
            Thread thread = new Thread(() -> {
                for (int n = 0; running.get(); n++) {
                    attempts.add(Attempt.send(account, "w" + writer + "-" + n, 1 + (n % 97)));
                    LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
                }
            }, "outage-writer-" + i);
            thread.start();
            writers.add(thread);
        }
        // A reader too: reads need the database as much as writes do.
        Queue<Read> reads = new ConcurrentLinkedQueue<>();
        Thread reader = new Thread(() -> {
            for (int n = 0; running.get(); n++) {
                String account = accounts.get(n % WRITERS);
                reads.add(Read.of(n % 2 == 0 ? "/api/v1/accounts/" + account
                        : "/api/v1/accounts/" + account + "/events?limit=5"));
                LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            }
        }, "outage-reader");
        reader.start();
        writers.add(reader);
        try {
            // Traffic flows.
            await("every writer succeeds before the outage", () -> accounts.stream()
                    .allMatch(account -> successes(attempts, account) >= 3));

            // The line to the database is cut.
            proxy.cut();
            long cutAt = System.nanoTime();
            await("the breaker opens", () -> breaker.getState() == State.OPEN);
            Duration toOpen = Duration.ofNanos(System.nanoTime() - cutAt);

            // While it is open, requests are refused at once, without waiting for the database.
            List<Duration> fastRefusals = new ArrayList<>();
            long probeDeadline = System.nanoTime() + PHASE_WAIT.toNanos();
            while (fastRefusals.size() < 9 && System.nanoTime() - probeDeadline < 0) {
                int transitionsBefore = transitions.size();
                boolean openBefore = breaker.getState() == State.OPEN;
                Attempt probe = Attempt.send(accounts.get(0), "probe-" + fastRefusals.size() + "-" + transitionsBefore, 1);
                attempts.add(probe);
                if (openBefore && breaker.getState() == State.OPEN && transitions.size() == transitionsBefore) {
                    assertOverloaded(probe.reply);
                    assertThat(probe.elapsed).as("a refusal by the open breaker").isLessThan(FAST_REFUSAL_EACH);
                    fastRefusals.add(probe.elapsed);
                }
                LockSupport.parkNanos(Duration.ofMillis(10).toNanos());
            }
            assertThat(fastRefusals).as("refusals observed while the breaker stayed open").hasSize(9);
            assertThat(fastRefusals.stream().sorted().toList().get(4)).as("the median refusal by the open breaker")
                    .isLessThan(FAST_REFUSAL);

            Reply down = awaitReply("the health check goes DOWN", () -> ledger.get("/actuator/health"),
                    reply -> reply.status() == 503, healthChecks);
            assertThat(down.json().path("status").asText()).isEqualTo("DOWN");
            // The breaker tries again after its wait, finds the database still gone, and opens again.
            await("a trial while the database is still down reopens the breaker",
                    () -> transitions.contains(StateTransition.HALF_OPEN_TO_OPEN));
            assertThat(transitions).doesNotContain(StateTransition.HALF_OPEN_TO_CLOSED);

            // The database comes back.
            proxy.restore();
            int transitionsAtRestore = transitions.size();
            await("the breaker closes again", () -> breaker.getState() == State.CLOSED);
            assertThat(transitions.subList(transitionsAtRestore, transitions.size()))
                    .endsWith(StateTransition.HALF_OPEN_TO_CLOSED);
            Reply up = awaitReply("the health check is UP again", () -> ledger.get("/actuator/health"),
                    reply -> reply.status() == 200, healthChecks);
            assertThat(up.json().path("status").asText()).isEqualTo("UP");
            Map<String, Long> before = new HashMap<>();
            accounts.forEach(account -> before.put(account, successes(attempts, account)));
            await("every writer succeeds again", () -> accounts.stream()
                    .allMatch(account -> successes(attempts, account) >= before.get(account) + 3));
            System.out.printf("Breaker open %d ms after the cut; transitions %s%n", toOpen.toMillis(), transitions);
        } finally {
            running.set(false);
            for (Thread writer : writers) {
                writer.join(REQUEST_BOUND.toMillis() * 2);
            }
            proxy.restore();
        }
        assertThat(writers).noneMatch(Thread::isAlive);

        // Every request was answered within the bound, with a 201 or an honest 503.
        assertThat(attempts).allSatisfy(attempt -> {
            assertThat(attempt.elapsed).as("time to answer %s", attempt).isLessThanOrEqualTo(REQUEST_BOUND);
            assertThat(attempt.reply.status()).as("%s", attempt).isIn(201, 503);
            if (attempt.reply.status() == 503) {
                assertOverloaded(attempt.reply);
            }
        });
        assertThat(reads).allSatisfy(read -> {
            assertThat(read.elapsed).as("time to answer %s", read).isLessThanOrEqualTo(REQUEST_BOUND);
            assertThat(read.reply.status()).as("%s", read).isIn(200, 503);
            if (read.reply.status() == 503) {
                assertOverloaded(read.reply);
            }
        });
        assertThat(reads).as("reads refused during the outage").anyMatch(read -> read.reply.status() == 503);
        assertThat(healthChecks).allSatisfy(reply -> assertThat(reply.status()).isIn(200, 503));
        List<Attempt> refused = attempts.stream().filter(attempt -> attempt.reply.status() == 503).toList();
        assertThat(refused).as("requests refused during the outage").isNotEmpty();

        // Nothing lost, nothing doubled: each 201 is in the history once; each 503 at most once,
        // and exactly once after it is sent again with its key.
        Map<String, Long> recorded = recordedReferences(accounts);
        for (Attempt accepted : attempts.stream().filter(attempt -> attempt.reply.status() == 201).toList()) {
            assertThat(recorded.getOrDefault(accepted.reference, 0L)).as("%s in the event store", accepted)
                    .isEqualTo(1);
        }
        for (Attempt lost : refused) {
            long times = recorded.getOrDefault(lost.reference, 0L);
            assertThat(times).as("%s in the event store before it is sent again", lost).isBetween(0L, 1L);
            if (times == 1) {
                assertThat(lost.reply.json().path("detail").asText()).as("the 503 of a deposit that was committed")
                        .doesNotContain("nothing was written");
            }
        }
        List<Attempt> sentAgain = resend(refused);
        long committedDespite503 = 0;
        for (int i = 0; i < refused.size(); i++) {
            Attempt lost = refused.get(i);
            Reply again = sentAgain.get(i).reply;
            boolean wasRecorded = recorded.getOrDefault(lost.reference, 0L) == 1;
            committedDespite503 += wasRecorded ? 1 : 0;
            assertThat(again.status()).as("%s sent again: %s", lost, again.body()).isEqualTo(201);
            assertThat(again.header("Idempotent-Replayed")).as("replayed %s", lost)
                    .isEqualTo(wasRecorded ? "true" : null);
        }
        Map<String, Long> finallyRecorded = recordedReferences(accounts);
        assertThat(finallyRecorded).as("deposits in the event store, by reference")
                .hasSize(attempts.size())
                .allSatisfy((reference, times) -> assertThat(times).as(reference).isEqualTo(1));
        assertThat(finallyRecorded.keySet()).containsExactlyInAnyOrderElementsOf(
                attempts.stream().map(Attempt::reference).toList());
        System.out.printf("%d deposits, %d refused with 503 (%d of them had been committed), %d reads%n",
                attempts.size(), refused.size(), committedDespite503, reads.size());

        Projections.awaitSettled();
        for (String account : accounts) {
            long applied = attempts.stream().filter(attempt -> attempt.account.equals(account))
                    .mapToLong(attempt -> attempt.amount).sum();
            assertThat(depositedInTheStore(account)).as("deposits of %s in the event store", account)
                    .isEqualTo(applied);
            Reply read = ledger.account(account);
            assertThat(read.status()).as(read.body()).isEqualTo(200);
            assertThat(read.json().get("balance").asLong()).as("balance of %s", account).isEqualTo(applied);
        }
        Reply reconciliation = ledger.post("/api/v1/reconciliations", "{}");
        assertThat(reconciliation.status()).as(reconciliation.body()).isEqualTo(200);
        assertThat(reconciliation.json().get("balanced").asBoolean()).as(reconciliation.body()).isTrue();
    }

    /**
     * A connection that dies under a write, the database itself reachable: the write's statement
     * fails on it, the pool closes it, and the rollback that follows fails on the closed connection,
     * so the failure that reaches the writer is the rollback's (a {@code TransactionSystemException}
     * whose cause has no SQLSTATE: {@code DatabaseUnavailable}'s dead-connection case). The write is
     * answered 503 having written nothing, and the same key sent again is executed, once.
     */
    @Test
    void a_write_whose_connection_dies_under_it_is_answered_503_and_writes_nothing() throws Exception {
        await("the breaker closed", () -> breaker.getState() == State.CLOSED);
        String account = "dropped-" + UUID.randomUUID();
        Reply opened = ledger.openAccount(account, "EUR", 0);
        assertThat(opened.status()).as(opened.body()).isEqualTo(201);
        Attempt before = Attempt.send(account, "before-the-drop", 5);
        assertThat(before.reply.status()).as(before.reply.body()).isEqualTo(201);
        // The writer's connection went back to the pool a moment ago, and the pool hands out such a
        // connection again without checking it (Hikari checks one only after 500 ms idle), as it
        // would one whose server went away in that moment.
        proxy.drop();
        Attempt dropped = Attempt.send(account, "dropped", 7);
        assertOverloaded(dropped.reply);
        assertThat(recordedReferences(List.of(account))).as("deposits in the event store, by reference")
                .containsOnlyKeys("before-the-drop");
        // Sent again with the same key, as a client does after a 503. Other pooled connections that
        // died with it may still be handed out once each (the relay's, used within the last 500 ms),
        // and are answered 503 the same way until the pool has dropped them.
        long deadline = System.nanoTime() + PHASE_WAIT.toNanos();
        Attempt again = dropped.again();
        while (again.reply.status() == 503) {
            assertOverloaded(again.reply);
            assertThat(deadline - System.nanoTime()).as("time left until the key is executed (of %s)", PHASE_WAIT)
                    .isPositive();
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            again = again.again();
        }
        assertThat(again.reply.status()).as(again.reply.body()).isEqualTo(201);
        assertThat(again.reply.header("Idempotent-Replayed")).as("executed, not replayed").isNull();
        assertThat(recordedReferences(List.of(account))).as("deposits in the event store, by reference")
                .containsOnly(Map.entry("before-the-drop", 1L), Map.entry("dropped", 1L));
        assertThat(depositedInTheStore(account)).isEqualTo(12);
    }

    /** One deposit, remembered with its key, reference and amount, and how it was answered. */
    private record Attempt(String account, String key, String reference, long amount, Reply reply, Duration elapsed) {

        /** A new deposit with a key of its own. */
        static Attempt send(String account, String reference, long amount) {
            return send(account, "outage-" + reference + "-" + UUID.randomUUID(), reference, amount);
        }

        /** The same deposit again, with the same key. */
        Attempt again() {
            return send(account, key, reference, amount);
        }

        private static Attempt send(String account, String key, String reference, long amount) {
            long started = System.nanoTime();
            Reply reply = ledger.post("/api/v1/accounts/" + account + "/deposits", key, null,
                    "{\"amount\":" + amount + ",\"currency\":\"EUR\",\"reference\":\"" + reference + "\"}");
            return new Attempt(account, key, reference, amount, reply, Duration.ofNanos(System.nanoTime() - started));
        }

        @Override
        public String toString() {
            return "deposit " + reference + " of " + amount + " to " + account + " (" + reply.status() + " in "
                    + elapsed.toMillis() + " ms)";
        }
    }

    /** One read and how it was answered. */
    private record Read(String path, Reply reply, Duration elapsed) {

        static Read of(String path) {
            long started = System.nanoTime();
            Reply reply = ledger.get(path);
            return new Read(path, reply, Duration.ofNanos(System.nanoTime() - started));
        }

        @Override
        public String toString() {
            return "GET " + path + " (" + reply.status() + " in " + elapsed.toMillis() + " ms)";
        }
    }

    private static void assertOverloaded(Reply reply) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(503);
        assertThat(reply.header("Content-Type")).startsWith("application/problem+json");
        JsonNode problem = reply.json();
        assertThat(problem.path("code").asText()).as(reply.body()).isEqualTo("overloaded");
        assertThat(reply.header("Retry-After")).as("Retry-After of %s", reply.body()).matches("[1-9][0-9]*");
    }

    private static long successes(Queue<Attempt> attempts, String account) {
        return attempts.stream().filter(attempt -> attempt.account.equals(account) && attempt.reply.status() == 201)
                .count();
    }

    private static void await(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + PHASE_WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(deadline - System.nanoTime()).as("time left until %s (of %s)", what, PHASE_WAIT).isPositive();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    private static Reply awaitReply(String what, java.util.function.Supplier<Reply> call,
                                    java.util.function.Predicate<Reply> done, List<Reply> seen) {
        long deadline = System.nanoTime() + PHASE_WAIT.toNanos();
        while (true) {
            long started = System.nanoTime();
            Reply reply = call.get();
            assertThat(Duration.ofNanos(System.nanoTime() - started)).as("time to answer a health check")
                    .isLessThanOrEqualTo(REQUEST_BOUND);
            seen.add(reply);
            if (done.test(reply)) {
                return reply;
            }
            assertThat(deadline - System.nanoTime()).as("time left until %s (of %s)", what, PHASE_WAIT).isPositive();
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    /** Each deposit sent again with its key, the accounts in parallel, each account's in order. */
    private static List<Attempt> resend(List<Attempt> refused) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(WRITERS);
        try {
            Map<String, List<Integer>> byAccount = new HashMap<>();
            for (int i = 0; i < refused.size(); i++) {
                byAccount.computeIfAbsent(refused.get(i).account, account -> new ArrayList<>()).add(i);
            }
            Attempt[] again = new Attempt[refused.size()];
            List<Future<?>> work = new ArrayList<>();
            for (List<Integer> indexes : byAccount.values()) {
                work.add(threads.submit(() -> indexes.forEach(i -> again[i] = refused.get(i).again())));
            }
            for (Future<?> done : work) {
                done.get(PHASE_WAIT.toSeconds() * 6, TimeUnit.SECONDS);
            }
            return List.of(again);
        } finally {
            threads.shutdownNow();
        }
    }

    /** How many deposits in the accounts' streams carry each reference. */
    private static Map<String, Long> recordedReferences(List<String> accounts) throws SQLException {
        Map<String, Long> references = new HashMap<>();
        for (String account : accounts) {
            for (String[] deposit : storedDeposits(account)) {
                references.merge(deposit[0], 1L, Long::sum);
            }
        }
        return references;
    }

    private static long depositedInTheStore(String account) throws SQLException {
        return storedDeposits(account).stream().mapToLong(deposit -> Long.parseLong(deposit[1])).sum();
    }

    /** Reference and amount of every deposit in the account's stream, read straight from the event store. */
    private static List<String[]> storedDeposits(String account) throws SQLException {
        List<String[]> deposits = new ArrayList<>();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("select convert_from(payload, 'UTF8')"
                     + " from domain_event_entry where aggregate_identifier = ? and sequence_number > 0")) {
            query.setString(1, account);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    JsonNode payload;
                    try {
                        payload = JSON.readTree(rows.getString(1));
                    } catch (java.io.IOException notJson) {
                        throw new IllegalStateException(notJson);
                    }
                    deposits.add(new String[] {payload.path("reference").asText(), payload.path("amount").asText()});
                }
            }
        }
        return deposits;
    }
}
