package dev.ledger.api.account;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.domain.account.DepositMoneyCommand;
import dev.ledger.domain.account.MoneyDepositedEvent;
import dev.ledger.domain.account.Origin;
import dev.ledger.infra.TransactionBuffer;
import dev.ledger.infra.command.IdempotentExecutor;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.stream.LongStream;
import javax.sql.DataSource;
import org.axonframework.commandhandling.gateway.CommandGateway;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Proves that concurrent writes on one account, from this process and from a second instance
 * writing straight to the event store, never overdraw it, never lose or duplicate an entry or an
 * account version, and execute an idempotent request exactly once.
 */
class ConcurrentWritesTest extends IntegrationTest {

    /** The longest any single wait in these tests may last before the test fails instead of hanging. */
    private static final Duration WAIT = Duration.ofSeconds(30);

    /** How long the cross-process test waits for the REST write to block on the held transaction. */
    private static final Duration BLOCK_WAIT = Duration.ofSeconds(10);

    @Autowired
    private CommandGateway commandGateway;

    @Autowired
    private PlatformTransactionManager transactionManager;

    @Autowired
    private IdempotentExecutor executor;

    @Autowired
    private DataSource dataSource;

    @Test
    void thirty_concurrent_withdrawals_of_100_from_1000_pay_out_exactly_ten_and_never_overdraw() throws Exception {
        String account = unique("withdraw-race");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        assertThat(ledger.deposit(account, 1000, "EUR").status()).isEqualTo(201);

        List<Reply> replies = race(30, i -> ledger.withdraw(account, 100, "EUR"));

        List<Reply> paid = replies.stream().filter(reply -> reply.status() == 201).toList();
        List<Reply> refused = replies.stream().filter(reply -> reply.status() == 422).toList();
        assertThat(paid).as("201 answers among %s", replies).hasSize(10);
        assertThat(refused).as("422 answers among %s", replies).hasSize(20);
        assertThat(refused).allSatisfy(reply ->
                assertThat(reply.json().get("code").asText()).isEqualTo("insufficient-funds"));
        assertThat(paid.stream().mapToLong(reply -> reply.json().get("amount").asLong()).sum()).isEqualTo(1000);
        assertThat(paid.stream().map(reply -> reply.json().get("version").asLong()).distinct().count())
                .as("each paid withdrawal has a version of its own").isEqualTo(10);

        JsonNode read = ledger.account(account).json();
        assertThat(read.get("balance").asLong()).isZero();
        assertThat(read.get("version").asLong()).isEqualTo(1 + 1 + 10);

        List<JsonNode> history = historyOf(account, 12);
        assertThat(history).allSatisfy(item ->
                assertThat(item.get("balanceAfter").asLong()).as("balanceAfter of %s", item).isNotNegative());
        assertThat(entryIdsOfType(history, "WITHDRAWAL")).isEqualTo(entryIdsOf(paid));
    }

    @Test
    void forty_concurrent_deposits_without_if_match_all_succeed_on_forty_distinct_versions() throws Exception {
        String account = unique("deposit-race");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);

        // Amounts 1..40 are all different, so a lost or doubled deposit shows in the balance.
        List<Reply> replies = race(40, i -> ledger.deposit(account, i + 1, "EUR"));

        assertThat(replies).as("every deposit succeeds").allSatisfy(reply ->
                assertThat(reply.status()).as(reply.body()).isEqualTo(201));
        Set<Long> versions = new TreeSet<>();
        replies.forEach(reply -> versions.add(reply.json().get("version").asLong()));
        assertThat(versions).containsExactlyElementsOf(LongStream.rangeClosed(2, 41).boxed().toList());

        long sum = LongStream.rangeClosed(1, 40).sum();
        JsonNode read = ledger.account(account).json();
        assertThat(read.get("balance").asLong()).isEqualTo(sum);
        assertThat(read.get("version").asLong()).isEqualTo(41);

        List<JsonNode> history = historyOf(account, 41);
        assertThat(entryIdsOfType(history, "DEPOSIT")).isEqualTo(entryIdsOf(replies));
        for (Reply reply : replies) {
            JsonNode entry = reply.json();
            JsonNode line = history.get((int) entry.get("version").asLong() - 1);
            assertThat(line.get("entryId").asText()).isEqualTo(entry.get("entryId").asText());
            assertThat(line.get("balanceAfter").asLong()).as("balance answered for version %s",
                    entry.get("version")).isEqualTo(entry.get("balance").asLong());
        }
    }

    @Test
    void one_idempotency_key_sent_ten_times_at_once_has_exactly_one_effect() throws Exception {
        String account = unique("key-race");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        String key = unique("key");
        String path = "/api/v1/accounts/" + account + "/deposits";
        String body = "{\"amount\":250,\"currency\":\"EUR\",\"reference\":\"exactly once\"}";

        List<Reply> replies = race(10, i -> ledger.post(path, key, null, body));

        List<Reply> created = replies.stream().filter(reply -> reply.status() == 201).toList();
        List<Reply> inFlight = replies.stream().filter(reply -> reply.status() == 409).toList();
        assertThat(created.size() + inFlight.size()).as("answers %s", replies).isEqualTo(10);
        assertThat(inFlight).allSatisfy(reply -> {
            assertThat(reply.json().get("code").asText()).isEqualTo("idempotency-key-in-flight");
            assertThat(reply.header("Retry-After")).as("Retry-After of %s", reply).isNotBlank();
        });
        List<Reply> firsts = created.stream().filter(reply -> reply.header("Idempotent-Replayed") == null).toList();
        assertThat(firsts).as("exactly one answer is not a replay").hasSize(1);
        Reply original = firsts.get(0);
        assertThat(created).allSatisfy(reply -> {
            assertThat(reply.body()).isEqualTo(original.body());
            assertThat(reply.header("ETag")).isEqualTo(original.header("ETag"));
            assertThat(reply.header("Request-Id")).isEqualTo(original.header("Request-Id"));
        });
        assertThat(created).filteredOn(reply -> reply != firsts.get(0)).allSatisfy(reply ->
                assertThat(reply.header("Idempotent-Replayed")).isEqualTo("true"));

        JsonNode entry = firsts.get(0).json();
        assertThat(entry.get("version").asLong()).isEqualTo(2);
        JsonNode read = ledger.account(account).json();
        assertThat(read.get("balance").asLong()).isEqualTo(250);
        assertThat(read.get("version").asLong()).isEqualTo(2);
        List<JsonNode> history = historyOf(account, 2);
        assertThat(entryIdsOfType(history, "DEPOSIT")).containsExactly(entry.get("entryId").asText());
    }

    @Test
    void a_deposit_that_loses_its_version_to_another_instance_is_retried_onto_the_next_version()
            throws Exception {
        String account = unique("cross-process");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        assertThat(ledger.deposit(account, 100, "EUR").status()).isEqualTo(201);
        JsonNode before = ledger.account(account).json();
        long version = before.get("version").asLong();
        long balance = before.get("balance").asLong();
        long retriedBefore = executor.retriedWrites();

        ExecutorService client = Executors.newSingleThreadExecutor();
        Reply deposit;
        MoneyDepositedEvent theirs;
        try (OtherInstance other = new OtherInstance()) {
            other.appendUncommittedDeposit(account, "entry-x", 5);
            Future<Reply> rest = client.submit(() -> ledger.post("/api/v1/accounts/" + account + "/deposits",
                    UUID.randomUUID().toString(), null, "{\"amount\":7,\"currency\":\"EUR\"}"));
            awaitBlockedBy(other.backendPid(), rest);

            theirs = other.commit();
            deposit = rest.get(WAIT.toSeconds(), SECONDS);
        } finally {
            stop(client);
        }

        assertThat(theirs.version()).isEqualTo(version + 1);
        assertThat(deposit.status()).as(deposit.body()).isEqualTo(201);
        assertThat(deposit.json().get("version").asLong()).isEqualTo(version + 2);
        assertThat(deposit.json().get("balance").asLong()).isEqualTo(balance + 5 + 7);
        assertThat(executor.retriedWrites()).as("writes retried after a lost version race")
                .isGreaterThan(retriedBefore);

        JsonNode read = ledger.account(account).json();
        assertThat(read.get("version").asLong()).isEqualTo(version + 2);
        assertThat(read.get("balance").asLong()).isEqualTo(balance + 12);
        List<JsonNode> history = historyOf(account, version + 2);
        JsonNode theirLine = history.get((int) version);
        JsonNode ourLine = history.get((int) version + 1);
        assertThat(theirLine.get("entryId").asText()).isEqualTo("entry-x");
        assertThat(theirLine.get("amount").asLong()).isEqualTo(5);
        assertThat(ourLine.get("entryId").asText()).isEqualTo(deposit.json().get("entryId").asText());
        assertThat(ourLine.get("amount").asLong()).isEqualTo(7);
    }

    @Test
    void a_second_append_of_the_same_account_version_fails_on_the_unique_account_version_index() throws Exception {
        String account = unique("duplicate-version");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);

        ExecutorService rivalThread = Executors.newSingleThreadExecutor();
        Throwable failure;
        try (OtherInstance other = new OtherInstance()) {
            other.appendUncommittedDeposit(account, "entry-first", 5);
            // The same command path the service uses, minus its retry: what the executor sees.
            Future<Throwable> rival = rivalThread.submit(() -> {
                try {
                    new TransactionTemplate(transactionManager).executeWithoutResult(status ->
                            commandGateway.sendAndWait(new DepositMoneyCommand(account, "entry-second", 3, "EUR",
                                    null, null, new Origin(Instant.now(), "req-second", "this-instance"))));
                    return null;
                } catch (RuntimeException thrown) {
                    return thrown;
                }
            });
            awaitBlockedBy(other.backendPid(), rival);

            other.commit();
            failure = rival.get(WAIT.toSeconds(), SECONDS);
        } finally {
            stop(rivalThread);
        }

        assertThat(failure).as("the losing append").isNotNull();
        // The events are inserted when the transaction commits: the unique (account, version) index
        // refuses the second one there, and the executor retries that failure (23505).
        assertThat(causes(failure)).as("cause chain of %s", failure)
                .anyMatch(cause -> cause instanceof SQLException sql && "23505".equals(sql.getSQLState())
                        && sql.getMessage().contains("domain_event_entry_aggregate_sequence_key"));
        List<JsonNode> history = historyOf(account, 2);
        assertThat(history.get(1).get("entryId").asText()).isEqualTo("entry-first");
        // The outbox has no unique (account, version) of its own (V11): the loser's outbox row went
        // with its transaction, so version 2 is relayed once, as the winner's deposit.
        Projections.awaitSettled();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement relayed = connection.prepareStatement(
                     "select count(*) filter (where entry_id = 'entry-first'), count(*) from event_feed"
                             + " where account_id = ? and version = 2");
             PreparedStatement left = connection.prepareStatement(
                     "select count(*) from outbox_event where account_id = ?")) {
            relayed.setString(1, account);
            left.setString(1, account);
            try (ResultSet row = relayed.executeQuery()) {
                assertThat(row.next()).isTrue();
                assertThat(List.of(row.getLong(1), row.getLong(2))).as("feed rows of version 2: the winner's, all")
                        .containsExactly(1L, 1L);
            }
            assertThat(count(left)).as("outbox rows of the account left after relaying").isZero();
        }
    }

    @Test
    void opening_one_account_id_from_ten_threads_at_once_opens_it_exactly_once() throws Exception {
        String account = unique("open-race");

        List<Reply> replies = race(10, i -> ledger.openAccount(account, "EUR", 0));

        List<Reply> opened = replies.stream().filter(reply -> reply.status() == 201).toList();
        List<Reply> exists = replies.stream().filter(reply -> reply.status() == 409).toList();
        assertThat(opened).as("201 answers among %s", replies).hasSize(1);
        assertThat(exists).as("409 answers among %s", replies).hasSize(9);
        assertThat(exists).allSatisfy(reply ->
                assertThat(reply.json().get("code").asText()).isEqualTo("account-exists"));

        List<JsonNode> history = historyOf(account, 1);
        assertThat(history.get(0).get("type").asText()).isEqualTo("ACCOUNT_OPENED");
    }

    /**
     * Sends {@code parties} requests from as many threads, all released at once by a start gate,
     * and answers their replies in submission order; every wait is bounded.
     */
    private static <T> List<T> race(int parties, IntFunction<T> request) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(parties);
        CountDownLatch ready = new CountDownLatch(parties);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>(parties);
            for (int i = 0; i < parties; i++) {
                int index = i;
                futures.add(threads.submit(() -> {
                    ready.countDown();
                    if (!start.await(WAIT.toSeconds(), SECONDS)) {
                        throw new TimeoutException("the start gate never opened");
                    }
                    return request.apply(index);
                }));
            }
            assertThat(ready.await(WAIT.toSeconds(), SECONDS)).as("all %d threads ready", parties).isTrue();
            start.countDown();
            long deadline = System.nanoTime() + WAIT.toNanos();
            List<T> results = new ArrayList<>(parties);
            for (Future<T> future : futures) {
                results.add(future.get(Math.max(0, deadline - System.nanoTime()), NANOSECONDS));
            }
            return results;
        } finally {
            start.countDown();
            stop(threads);
        }
    }

    /** Waits for the latch, failing at once with the task's own failure if the task ends first. */
    private static void awaitOrFail(CountDownLatch latch, Future<?> task, String what) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!latch.await(50, MILLISECONDS)) {
            if (task.isDone()) {
                task.get();
                fail("the task ended before " + what);
            }
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
        }
    }

    /**
     * Waits until PostgreSQL shows a session blocked on a lock held by the session {@code holderPid}:
     * the write waiting on the unique (aggregate, sequence) index. Between polls it waits on the
     * write itself, so a write that ends before it was ever blocked fails the test at once.
     */
    private static void awaitBlockedBy(long holderPid, Future<?> write) throws Exception {
        long deadline = System.nanoTime() + BLOCK_WAIT.toNanos();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement blocked = connection.prepareStatement("""
                     select count(*) from pg_stat_activity
                     where datname = current_database() and wait_event_type = 'Lock'
                       and ? = any(pg_blocking_pids(pid))
                     """)) {
            blocked.setInt(1, (int) holderPid);
            while (System.nanoTime() < deadline) {
                if (count(blocked) > 0) {
                    return;
                }
                try {
                    Object early = write.get(25, MILLISECONDS);
                    fail("the write ended without waiting for the other instance's transaction: " + early);
                } catch (TimeoutException stillRunning) {
                    // still running: poll again
                } catch (ExecutionException failed) {
                    throw new AssertionError("the write failed before it blocked", failed.getCause());
                }
            }
        }
        fail("the write did not block on the other instance's transaction within " + BLOCK_WAIT);
    }

    private static void stop(ExecutorService threads) throws InterruptedException {
        threads.shutdownNow();
        if (!threads.awaitTermination(WAIT.toSeconds(), SECONDS)) {
            fail("test threads did not end");
        }
    }

    private static List<Throwable> causes(Throwable failure) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable cause = failure; cause != null && chain.size() < 16; cause = cause.getCause()) {
            chain.add(cause);
        }
        return chain;
    }

    private static long count(PreparedStatement query) throws SQLException {
        try (ResultSet rows = query.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /**
     * The account's whole history, checked to hold exactly {@code size} events with consecutive
     * versions from 1, each balance following from the one before.
     */
    private List<JsonNode> historyOf(String account, long size) {
        Reply page = ledger.get("/api/v1/accounts/" + account + "/events?limit=1000");
        assertThat(page.status()).as(page.body()).isEqualTo(200);
        List<JsonNode> items = new ArrayList<>();
        page.json().get("items").forEach(items::add);
        assertThat(items).as("history of %s", account).hasSize((int) size);
        long balance = 0;
        for (int i = 0; i < items.size(); i++) {
            JsonNode item = items.get(i);
            assertThat(item.get("version").asLong()).as("version of history line %d", i).isEqualTo(i + 1);
            String type = item.get("type").asText();
            if (i == 0) {
                assertThat(type).isEqualTo("ACCOUNT_OPENED");
            } else if (type.equals("DEPOSIT")) {
                balance += item.get("amount").asLong();
            } else if (type.equals("WITHDRAWAL")) {
                balance -= item.get("amount").asLong();
            } else {
                fail("unexpected history line " + item);
            }
            assertThat(item.get("balanceAfter").asLong()).as("balanceAfter of %s", item).isEqualTo(balance);
        }
        return items;
    }

    private static Set<String> entryIdsOfType(List<JsonNode> history, String type) {
        Set<String> ids = new HashSet<>();
        history.stream().filter(item -> item.get("type").asText().equals(type))
                .forEach(item -> assertThat(ids.add(item.get("entryId").asText())).as("unique entryId").isTrue());
        return ids;
    }

    private static Set<String> entryIdsOf(List<Reply> entries) {
        Set<String> ids = new HashSet<>();
        entries.forEach(reply -> assertThat(ids.add(reply.json().get("entryId").asText()))
                .as("unique entryId").isTrue());
        return ids;
    }

    /**
     * A second instance of the service: appends a deposit through Axon, bypassing this process's
     * account locks, in a transaction it holds open until {@link #commit()}. Closing it without a
     * commit rolls the transaction back, so a failing test leaves no lock and no event behind.
     */
    private final class OtherInstance implements AutoCloseable {

        private final ExecutorService thread = Executors.newSingleThreadExecutor();
        private final CountDownLatch appended = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private final AtomicBoolean commit = new AtomicBoolean(false);
        private final AtomicLong backendPid = new AtomicLong();
        private Future<MoneyDepositedEvent> transaction;

        /** Returns once the event is appended (written, not committed). */
        void appendUncommittedDeposit(String account, String entryId, long amount) throws Exception {
            transaction = thread.submit(() -> new TransactionTemplate(transactionManager).execute(status -> {
                backendPid.set(new JdbcTemplate(dataSource).queryForObject("select pg_backend_pid()", Long.class));
                MoneyDepositedEvent event = commandGateway.sendAndWait(new DepositMoneyCommand(account, entryId,
                        amount, "EUR", null, null, new Origin(Instant.now(), "req-x", "other-instance")));
                TransactionBuffer.flushNow();
                appended.countDown();
                try {
                    if (!released.await(WAIT.toSeconds(), SECONDS) || !commit.get()) {
                        status.setRollbackOnly();
                    }
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    status.setRollbackOnly();
                }
                return event;
            }));
            awaitOrFail(appended, transaction, "the other instance's uncommitted append");
        }

        /** The PostgreSQL backend of the held transaction. */
        long backendPid() {
            return backendPid.get();
        }

        /** Commits the held transaction and answers the event it appended. */
        MoneyDepositedEvent commit() throws Exception {
            commit.set(true);
            released.countDown();
            return transaction.get(WAIT.toSeconds(), SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            released.countDown();
            stop(thread);
        }
    }
}
