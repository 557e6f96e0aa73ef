package dev.ledger.api.idempotency;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.infra.command.IdempotentExecutor;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Poll;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import dev.ledger.support.TestDatabase;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * Proves group commit: writes that queue for an account while its writer is busy commit together
 * in one transaction (one PostgreSQL transaction id on all their events, inserted by one
 * statement), each with the answer it would have had alone; and a group whose commit fails runs
 * each write again alone, so only the write that cannot commit fails, and no event number is
 * skipped or reused.
 *
 * <p>The writer is held busy by a test connection holding the account's database lock: the first
 * write waits for it inside its transaction, the others queue behind it.
 */
class GroupCommitTest extends IntegrationTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Autowired
    private IdempotentExecutor executor;

    @Autowired
    private MeterRegistry meters;

    private ExecutorService clients;

    @BeforeEach
    void startClients() {
        clients = Executors.newFixedThreadPool(8);
    }

    @AfterEach
    void stopClients() throws InterruptedException {
        clients.shutdownNow();
        assertThat(clients.awaitTermination(WAIT.toSeconds(), SECONDS)).isTrue();
    }

    @Test
    void writes_queued_behind_a_busy_account_commit_in_one_transaction_and_each_gets_its_own_answer()
            throws Exception {
        String account = openWith(1000);
        String inFlightKey = unique("in-flight");
        String twiceKey = unique("twice");
        Future<Reply> first;
        List<Future<Reply>> queued = new ArrayList<>();
        double fallbacksBefore = fallbacks();
        double checksFailedBefore = checksFailed();
        String inserts = logEventInserts();
        try (Connection holder = TestDatabase.get().connect()) {
            lock(holder, "account\n" + account);
            lock(holder, CLIENT_KEY_PREFIX + inFlightKey);
            first = clients.submit(() -> deposit(account, unique("first"), 1));
            awaitUntil("the first write waits for the account's lock", () -> waitingAdvisoryLocks() >= 1);

            queued.add(clients.submit(() -> deposit(account, twiceKey, 100)));
            awaitUntil("1 write queued", () -> executor.queuedWrites() >= 1);
            queued.add(clients.submit(() -> withdraw(account, unique("too-much"), 1_000_000)));
            awaitUntil("2 writes queued", () -> executor.queuedWrites() >= 2);
            queued.add(clients.submit(() -> deposit(account, inFlightKey, 7)));
            awaitUntil("3 writes queued", () -> executor.queuedWrites() >= 3);
            queued.add(clients.submit(() -> deposit(account, twiceKey, 100)));
            awaitUntil("4 writes queued", () -> executor.queuedWrites() >= 4);
            queued.add(clients.submit(() -> deposit(account, unique("last"), 200)));
            awaitUntil("5 writes queued", () -> executor.queuedWrites() >= 5);

            // The first write commits alone, then the group; the key stays locked by the holder.
            unlock(holder, "account\n" + account);
            assertThat(get(first).status()).isEqualTo(201);
            for (Future<Reply> reply : queued) {
                get(reply);
            }
        } finally {
            stopLogging(inserts);
        }
        Reply deposit100 = get(queued.get(0));
        Reply refused = get(queued.get(1));
        Reply inFlight = get(queued.get(2));
        Reply replay = get(queued.get(3));
        Reply deposit200 = get(queued.get(4));

        assertThat(deposit100.status()).as(deposit100.body()).isEqualTo(201);
        assertThat(deposit100.json().get("version").asLong()).isEqualTo(4);
        assertThat(refused.status()).as(refused.body()).isEqualTo(422);
        assertThat(refused.body()).contains("insufficient-funds");
        assertThat(inFlight.status()).as(inFlight.body()).isEqualTo(409);
        assertThat(inFlight.body()).contains("idempotency-key-in-flight");
        assertThat(replay.status()).as(replay.body()).isEqualTo(201);
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(replay.json()).isEqualTo(deposit100.json());
        assertThat(deposit200.status()).as(deposit200.body()).isEqualTo(201);
        assertThat(deposit200.json().get("version").asLong()).isEqualTo(5);
        assertThat(deposit200.json().get("balance").asLong()).isEqualTo(1000 + 1 + 100 + 200);

        assertThat(transactionIds(account, 4, 5)).as("transactions that appended versions 4 and 5").isEqualTo(1);
        assertThat(transactionIds(account, 3, 5)).as("the first write committed on its own").isEqualTo(2);
        assertThat(insertStatements(inserts, account, 4, 5)).as("statements that inserted versions 4 and 5")
                .isEqualTo(1);
        assertThat(LedgerRows.inboxRows(inFlightKey)).as("nothing stored for the key in flight").isZero();
        assertThat(fallbacks()).as("groups run again alone").isEqualTo(fallbacksBefore);
        assertThat(checksFailed()).as("starts checked at commit that failed: the group's, on the key in flight;"
                + " the group then ran again as a group").isEqualTo(checksFailedBefore + 1);

        Reply retried = deposit(account, inFlightKey, 7);
        assertThat(retried.status()).as(retried.body()).isEqualTo(201);
        assertThat(retried.json().get("version").asLong()).isEqualTo(6);
        assertThat(retried.json().get("balance").asLong()).isEqualTo(1308);
    }

    @Test
    void a_group_whose_commit_fails_runs_each_write_alone_and_only_the_failing_write_fails() throws Exception {
        String account = openWith(1000);
        String badKey = unique("bad");
        String trigger = "fail_group_" + UUID.randomUUID().toString().replace("-", "");
        LedgerRows.execute(
                "create function " + trigger + "() returns trigger language plpgsql as $$ begin"
                        + " raise exception 'simulated failure at commit'; end $$",
                "create constraint trigger " + trigger + " after insert on idempotency_inbox"
                        + " deferrable initially deferred for each row"
                        + " when (new.idempotency_key = '" + badKey + "')"
                        + " execute function " + trigger + "()");
        Future<Reply> first;
        List<Future<Reply>> queued = new ArrayList<>();
        double fallbacksBefore = fallbacks();
        try {
            try (Connection holder = TestDatabase.get().connect()) {
                lock(holder, "account\n" + account);
                first = clients.submit(() -> deposit(account, unique("first"), 1));
                awaitUntil("the first write waits for the account's lock", () -> waitingAdvisoryLocks() >= 1);
                queued.add(clients.submit(() -> deposit(account, unique("good"), 10)));
                awaitUntil("1 write queued", () -> executor.queuedWrites() >= 1);
                queued.add(clients.submit(() -> deposit(account, badKey, 20)));
                awaitUntil("2 writes queued", () -> executor.queuedWrites() >= 2);
                queued.add(clients.submit(() -> deposit(account, unique("good"), 30)));
                awaitUntil("3 writes queued", () -> executor.queuedWrites() >= 3);
            }
            assertThat(get(first).status()).isEqualTo(201);
            Reply good10 = get(queued.get(0));
            Reply bad = get(queued.get(1));
            Reply good30 = get(queued.get(2));

            assertThat(good10.status()).as(good10.body()).isEqualTo(201);
            assertThat(good10.json().get("version").asLong()).isEqualTo(4);
            assertThat(bad.status()).as(bad.body()).isEqualTo(500);
            assertThat(good30.status()).as(good30.body()).isEqualTo(201);
            assertThat(good30.json().get("version").asLong()).as("no version skipped for the failed write")
                    .isEqualTo(5);
            assertThat(good30.json().get("balance").asLong()).isEqualTo(1000 + 1 + 10 + 30);
            assertThat(fallbacks()).as("groups run again alone").isEqualTo(fallbacksBefore + 1);
        } finally {
            LedgerRows.execute("drop trigger " + trigger + " on idempotency_inbox", "drop function " + trigger + "()");
        }
        assertThat(LedgerRows.events(account)).isEqualTo(5);
        assertThat(LedgerRows.inboxRows(badKey)).isZero();

        Reply retried = deposit(account, badKey, 20);
        assertThat(retried.status()).as(retried.body()).isEqualTo(201);
        assertThat(retried.json().get("version").asLong()).isEqualTo(6);
        assertThat(retried.json().get("balance").asLong()).isEqualTo(1061);
    }

    private static final String CLIENT_KEY_PREFIX = LedgerRows.CLIENT + "\n";

    private String openWith(long balance) {
        String account = unique("group");
        assertThat(ledger.openAccount(account, "EUR", 0).status()).isEqualTo(201);
        assertThat(ledger.deposit(account, balance, "EUR").status()).isEqualTo(201);
        return account;
    }

    private Reply deposit(String account, String key, long amount) {
        return ledger.post("/api/v1/accounts/" + account + "/deposits", key, null,
                "{\"amount\":" + amount + ",\"currency\":\"EUR\"}");
    }

    private Reply withdraw(String account, String key, long amount) {
        return ledger.post("/api/v1/accounts/" + account + "/withdrawals", key, null,
                "{\"amount\":" + amount + ",\"currency\":\"EUR\"}");
    }

    private static Reply get(Future<Reply> reply) throws Exception {
        return reply.get(WAIT.toSeconds(), SECONDS);
    }

    private double fallbacks() {
        return meters.get("ledger.commands.batch.fallbacks").counter().count();
    }

    private double checksFailed() {
        return meters.get("ledger.commands.start.checks.failed").counter().count();
    }

    /** Takes a session-level advisory lock on the text's key, as the service's locks hash it. */
    private static void lock(Connection connection, String text) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement(
                "select pg_advisory_lock(hashtextextended(?, 0))")) {
            statement.setString(1, text);
            statement.execute();
        }
    }

    private static void unlock(Connection connection, String text) throws Exception {
        try (PreparedStatement statement = connection.prepareStatement(
                "select pg_advisory_unlock(hashtextextended(?, 0))")) {
            statement.setString(1, text);
            statement.execute();
        }
    }

    private static long waitingAdvisoryLocks() {
        return LedgerRows.count("select count(*) from pg_locks where locktype = 'advisory' and not granted");
    }

    /** How many transactions appended the account's versions from..to (sequence numbers are versions - 1). */
    private static long transactionIds(String account, long fromVersion, long toVersion) {
        return LedgerRows.count("select count(distinct xmin::text) from domain_event_entry"
                + " where aggregate_identifier = ? and sequence_number between ? and ?",
                account, fromVersion - 1, toVersion - 1);
    }

    /**
     * Logs every insert statement into the event store (the accounts and sequence numbers of its
     * rows) in a table of its own, until {@link #stopLogging}; answers that table's name (the
     * table stays, in the test run's own database).
     */
    private static String logEventInserts() {
        String log = "event_inserts_" + UUID.randomUUID().toString().replace("-", "");
        LedgerRows.execute(
                "create table " + log + " (statement bigserial, accounts text[], sequences bigint[])",
                "create function " + log + "() returns trigger language plpgsql as $$ begin"
                        + " insert into " + log + " (accounts, sequences)"
                        + " select array_agg(aggregate_identifier), array_agg(sequence_number) from inserted;"
                        + " return null; end $$",
                "create trigger " + log + " after insert on domain_event_entry referencing new table as inserted"
                        + " for each statement execute function " + log + "()");
        return log;
    }

    private static void stopLogging(String log) {
        LedgerRows.execute("drop trigger " + log + " on domain_event_entry", "drop function " + log + "()");
    }

    /** How many logged insert statements wrote the account's versions from..to. */
    private static long insertStatements(String log, String account, long fromVersion, long toVersion) {
        return LedgerRows.count("select count(distinct l.statement) from " + log + " l,"
                + " unnest(l.accounts, l.sequences) as r(account_id, sequence_number)"
                + " where r.account_id = ? and r.sequence_number between ? and ?",
                account, fromVersion - 1, toVersion - 1);
    }

    private static void awaitUntil(String what, BooleanSupplier condition) {
        Poll.until(what, WAIT, condition::getAsBoolean, Boolean::booleanValue);
    }
}
