package dev.ledger.api.idempotency;

import static dev.ledger.api.idempotency.IdempotencyContractTest.assertReplayOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.idempotency.Wire.Answer;
import dev.ledger.support.IntegrationTest;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Proves that a request's inbox row and its events commit or roll back together: a failure at
 * either end of the transaction leaves neither behind, and the same key then executes once.
 *
 * <p>Failures are injected with triggers installed from a connection of the test's own, named
 * uniquely per test and always dropped again. A trigger cannot leave a row behind in a
 * transaction that it rolls back, but a sequence moves regardless: each trigger records on a
 * sequence of its own that it fired, and what its transaction held at that moment.
 */
class IdempotencyCrashSafetyTest extends IntegrationTest {

    private static final String ACCOUNTS = "/api/v1/accounts";
    private static final Pattern LEAKS = Pattern.compile(
            "(?i)exception|sql|select |insert |trigger|idempotency_inbox|domain_event_entry|P0001|simulated"
                    + "|org\\.|java\\.|dev\\.ledger|\\tat |hibernate|axon|postgres");

    private Wire wire;

    @BeforeEach
    void connectWire() {
        wire = new Wire(ledger);
    }

    @Test
    void a_failure_at_commit_after_the_events_and_the_inbox_row_were_flushed_leaves_neither_and_the_key_executes_once() {
        String account = openAccount();
        deposit(account, 1000);
        String key = "crash-" + UUID.randomUUID();
        String body = "{\"amount\":250,\"currency\":\"EUR\"}";
        Footprint before = Footprint.of(wire, account);
        Injected crash = Injected.named("commit");

        Answer failed;
        try {
            // Deferred to COMMIT, so it runs after Axon appended the event and the inbox row was flushed.
            crash.install(
                    "create function " + crash.name + "() returns trigger language plpgsql as $$ begin"
                            + " perform setval('" + crash.name + "', 1 + (select count(*) from domain_event_entry"
                            + " where aggregate_identifier = " + literal(account) + "));"
                            + " raise exception 'simulated crash at commit'; end $$",
                    "create constraint trigger " + crash.name + " after insert on idempotency_inbox"
                            + " deferrable initially deferred for each row"
                            + " when (new.idempotency_key = " + literal(key) + ")"
                            + " execute function " + crash.name + "()");

            failed = wire.post(deposits(account), key, null, body);

            // At commit the transaction held the new event next to the inbox row: one more than before.
            assertThat(crash.recorded()).as("events in the failing transaction, plus one")
                    .isEqualTo(1 + before.events() + 1);
        } finally {
            crash.remove();
        }

        assertServerProblemWithoutInternals(failed);
        assertThat(Footprint.of(wire, account)).isEqualTo(before);
        assertThat(LedgerRows.events(account)).isEqualTo(before.events());
        assertThat(LedgerRows.inboxRows(key)).isZero();

        Answer retried = wire.post(deposits(account), key, null, body);

        assertThat(retried.status()).as(retried.text()).isEqualTo(201);
        assertThat(retried.header("Idempotent-Replayed")).isNull();
        assertThat(retried.json().get("version").asLong()).isEqualTo(before.version() + 1);
        assertThat(retried.json().get("balance").asLong()).isEqualTo(1250);
        assertThat(Footprint.of(wire, account)).isEqualTo(
                new Footprint(before.version() + 1, 1250, before.events() + 1, before.storedAnswers() + 1));
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
        assertReplayOf(wire.post(deposits(account), key, null, body), retried);
        assertThat(LedgerRows.events(account)).isEqualTo(before.events() + 1);
    }

    @Test
    void a_failure_at_commit_on_the_events_side_leaves_no_inbox_row_either_and_the_key_executes_once() {
        String account = openAccount();
        deposit(account, 1000);
        String key = "crash-" + UUID.randomUUID();
        String body = "{\"amount\":400,\"currency\":\"EUR\"}";
        Footprint before = Footprint.of(wire, account);
        Injected crash = Injected.named("events_commit");

        Answer failed;
        try {
            // Deferred to COMMIT on the events' table: the inbox row has been written by then too.
            crash.install(
                    "create function " + crash.name + "() returns trigger language plpgsql as $$ begin"
                            + " perform setval('" + crash.name + "', 1 + (select count(*) from idempotency_inbox"
                            + " where idempotency_key = " + literal(key) + "));"
                            + " raise exception 'simulated crash at commit'; end $$",
                    "create constraint trigger " + crash.name + " after insert on domain_event_entry"
                            + " deferrable initially deferred for each row"
                            + " when (new.aggregate_identifier = " + literal(account) + ")"
                            + " execute function " + crash.name + "()");

            failed = wire.post(deposits(account), key, null, body);

            assertThat(crash.recorded()).as("inbox rows for the key in the failing transaction, plus one")
                    .isEqualTo(2);
        } finally {
            crash.remove();
        }

        assertServerProblemWithoutInternals(failed);
        assertThat(Footprint.of(wire, account)).isEqualTo(before);
        assertThat(LedgerRows.inboxRows(key)).isZero();

        Answer retried = wire.post(deposits(account), key, null, body);

        assertThat(retried.status()).as(retried.text()).isEqualTo(201);
        assertThat(retried.header("Idempotent-Replayed")).isNull();
        assertThat(Footprint.of(wire, account)).isEqualTo(
                new Footprint(before.version() + 1, 1400, before.events() + 1, before.storedAnswers() + 1));
        assertReplayOf(wire.post(deposits(account), key, null, body), retried);
    }

    @Test
    void an_account_opening_that_fails_at_commit_leaves_no_account_and_the_key_opens_it_once() {
        String account = unique("crash-open");
        String key = "crash-" + UUID.randomUUID();
        String body = "{\"accountId\":\"" + account + "\",\"currency\":\"EUR\"}";
        Injected crash = Injected.named("open");

        Answer failed;
        try {
            crash.install(
                    "create function " + crash.name + "() returns trigger language plpgsql as $$ begin"
                            + " perform setval('" + crash.name + "', 1 + (select count(*) from domain_event_entry"
                            + " where aggregate_identifier = " + literal(account) + "));"
                            + " raise exception 'simulated crash at commit'; end $$",
                    "create constraint trigger " + crash.name + " after insert on idempotency_inbox"
                            + " deferrable initially deferred for each row"
                            + " when (new.idempotency_key = " + literal(key) + ")"
                            + " execute function " + crash.name + "()");

            failed = wire.post(ACCOUNTS, key, null, body);

            assertThat(crash.recorded()).as("events in the failing transaction, plus one").isEqualTo(2);
        } finally {
            crash.remove();
        }

        assertServerProblemWithoutInternals(failed);
        assertThat(wire.get(ACCOUNTS + "/" + account).status()).isEqualTo(404);
        assertThat(LedgerRows.events(account)).isZero();
        assertThat(LedgerRows.inboxRows(key)).isZero();

        Answer retried = wire.post(ACCOUNTS, key, null, body);

        assertThat(retried.status()).as(retried.text()).isEqualTo(201);
        assertThat(retried.header("Idempotent-Replayed")).isNull();
        assertThat(Footprint.of(wire, account)).isEqualTo(new Footprint(1, 0, 1, 1));
        assertReplayOf(wire.post(ACCOUNTS, key, null, body), retried);
    }

    @Test
    void a_failure_appending_the_events_stores_no_answer_and_the_key_executes_once() {
        String account = openAccount();
        deposit(account, 1000);
        String key = "crash-" + UUID.randomUUID();
        String body = "{\"amount\":300,\"currency\":\"EUR\"}";
        Footprint before = Footprint.of(wire, account);
        Injected crash = Injected.named("append");

        Answer failed;
        try {
            crash.install(
                    "create function " + crash.name + "() returns trigger language plpgsql as $$ begin"
                            + " perform setval('" + crash.name + "', 1 + (select count(*) from idempotency_inbox"
                            + " where idempotency_key = " + literal(key) + "));"
                            + " raise exception 'simulated failure appending an event'; end $$",
                    "create trigger " + crash.name + " before insert on domain_event_entry for each row"
                            + " when (new.aggregate_identifier = " + literal(account) + ")"
                            + " execute function " + crash.name + "()");

            failed = wire.post(withdrawals(account), key, null, body);

            assertThat(crash.recorded()).as("the trigger fired, with no inbox row in its transaction, plus one")
                    .isEqualTo(1);
        } finally {
            crash.remove();
        }

        assertServerProblemWithoutInternals(failed);
        assertThat(Footprint.of(wire, account)).isEqualTo(before);
        assertThat(LedgerRows.inboxRows(key)).isZero();

        Answer retried = wire.post(withdrawals(account), key, null, body);

        assertThat(retried.status()).as(retried.text()).isEqualTo(201);
        assertThat(retried.header("Idempotent-Replayed")).isNull();
        assertThat(retried.json().get("balance").asLong()).isEqualTo(700);
        assertThat(Footprint.of(wire, account)).isEqualTo(
                new Footprint(before.version() + 1, 700, before.events() + 1, before.storedAnswers() + 1));
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
        assertReplayOf(wire.post(withdrawals(account), key, null, body), retried);
        assertThat(LedgerRows.events(account)).isEqualTo(before.events() + 1);
    }

    // ---------------------------------------------------------------- helpers

    private static void assertServerProblemWithoutInternals(Answer failed) {
        assertThat(failed.status()).as(failed.text()).isBetween(500, 599);
        assertThat(failed.header("Content-Type")).startsWith("application/problem+json");
        assertThat(failed.json().get("code").asText()).isIn("internal-error", "overloaded");
        assertThat(failed.json().get("status").asInt()).isEqualTo(failed.status());
        assertThat(failed.header("Idempotent-Replayed")).isNull();
        assertThat(LEAKS.matcher(failed.text()).find()).as("internals in " + failed.text()).isFalse();
    }

    private String openAccount() {
        String account = unique("crash");
        Answer opened = wire.post(ACCOUNTS, unique("key"), null, "{\"accountId\":\"" + account + "\",\"currency\":\"EUR\"}");
        assertThat(opened.status()).as(opened.text()).isEqualTo(201);
        return account;
    }

    private void deposit(String account, long amount) {
        Answer deposited = wire.post(deposits(account), unique("key"), null,
                "{\"amount\":" + amount + ",\"currency\":\"EUR\"}");
        assertThat(deposited.status()).as(deposited.text()).isEqualTo(201);
    }

    private static String deposits(String account) {
        return ACCOUNTS + "/" + account + "/deposits";
    }

    private static String withdrawals(String account) {
        return ACCOUNTS + "/" + account + "/withdrawals";
    }

    /** Ids and keys here are from [A-Za-z0-9_-], so quoting is all a literal needs. */
    private static String literal(String text) {
        return "'" + text.replace("'", "''") + "'";
    }

    /**
     * A failure injected into the database: a function, the trigger that calls it and a sequence it
     * records on, all under one name no other test uses.
     */
    private static final class Injected {

        final String name;

        private Injected(String name) {
            this.name = name;
        }

        static Injected named(String purpose) {
            return new Injected("test_crash_" + purpose + "_" + UUID.randomUUID().toString().replace("-", ""));
        }

        void install(String function, String trigger) {
            LedgerRows.execute("create sequence " + name + " minvalue 0 start with 0", function, trigger);
        }

        /** What the trigger recorded, or 0 if it never fired. */
        long recorded() {
            return LedgerRows.count("select case when is_called then last_value else 0 end from " + name);
        }

        void remove() {
            LedgerRows.execute(
                    "drop trigger if exists " + name + " on idempotency_inbox",
                    "drop trigger if exists " + name + " on domain_event_entry",
                    "drop function if exists " + name + "()",
                    "drop sequence if exists " + name);
        }
    }
}
