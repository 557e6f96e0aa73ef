package dev.ledger.api.idempotency;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.api.idempotency.Wire.Answer;
import dev.ledger.infra.inbox.InboxKey;
import dev.ledger.infra.inbox.InboxStore;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves the contract's idempotency rules (replays, reused keys, keys in flight, malformed keys,
 * validation failures, stored business refusals and If-Match) against the running service and its database.
 */
class IdempotencyContractTest extends IntegrationTest {

    private static final String ACCOUNTS = "/api/v1/accounts";

    private Wire wire;

    @BeforeEach
    void connectWire() {
        wire = new Wire(ledger);
    }

    // ---------------------------------------------------------------- replays

    @Test
    void opening_an_account_again_with_the_same_key_replays_the_first_answer_byte_for_byte_and_opens_nothing() {
        String account = unique("idem-open");
        String key = unique("key");
        String body = "{\"accountId\":\"" + account + "\",\"currency\":\"EUR\",\"overdraftLimit\":500}";

        Answer first = wire.post(ACCOUNTS, key, null, body);

        assertThat(first.status()).as(first.text()).isEqualTo(201);
        assertThat(first.header("Idempotent-Replayed")).isNull();
        assertThat(first.header("Location")).isEqualTo(ACCOUNTS + "/" + account);
        Footprint opened = Footprint.of(wire, account);
        assertThat(opened).isEqualTo(new Footprint(1, 0, 1, 1));

        for (int attempt = 0; attempt < 2; attempt++) {
            assertReplayOf(wire.post(ACCOUNTS, key, null, body), first);
        }
        assertThat(Footprint.of(wire, account)).isEqualTo(opened);
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
    }

    @Test
    void opening_an_account_with_a_server_chosen_id_again_with_the_same_key_replays_the_same_account() {
        String key = unique("key");
        String body = "{\"currency\":\"EUR\"}";
        Answer first = wire.post(ACCOUNTS, key, null, body);
        assertThat(first.status()).as(first.text()).isEqualTo(201);
        String account = first.json().get("accountId").asText();
        // The retry draws a new server-side id before it reaches the inbox; it must not open it.
        long openedAccounts = openedAccountsInTheStore();

        Answer again = wire.post(ACCOUNTS, key, null, body);

        assertReplayOf(again, first);
        assertThat(again.json().get("accountId").asText()).isEqualTo(account);
        assertThat(openedAccountsInTheStore()).isEqualTo(openedAccounts);
        assertThat(LedgerRows.events(account)).isEqualTo(1);
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
    }

    @Test
    void a_deposit_sent_again_with_the_same_key_replays_the_first_answer_byte_for_byte_and_deposits_once() {
        String account = openAccount();
        String key = unique("key");
        String body = "{\"amount\":1500,\"currency\":\"EUR\",\"reference\":\"rent \\u00e9t\\u00e9\"}";

        Answer first = wire.post(deposits(account), key, null, body);

        assertThat(first.status()).as(first.text()).isEqualTo(201);
        assertThat(first.header("Idempotent-Replayed")).isNull();
        assertThat(first.json().get("balance").asLong()).isEqualTo(1500);
        assertThat(first.json().get("version").asLong()).isEqualTo(2);
        // The account moves on; a replay still answers what the first request got, not today's state.
        deposit(account, 100);
        Footprint moved = Footprint.of(wire, account);
        assertThat(moved).isEqualTo(new Footprint(3, 1600, 3, 3));

        for (int attempt = 0; attempt < 2; attempt++) {
            Answer replay = wire.post(deposits(account), key, null, body);
            assertReplayOf(replay, first);
            assertThat(replay.json().get("balance").asLong()).isEqualTo(1500);
        }
        assertThat(Footprint.of(wire, account)).isEqualTo(moved);
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
    }

    @Test
    void a_withdrawal_sent_again_with_the_same_key_replays_the_first_answer_byte_for_byte_and_withdraws_once() {
        String account = openAccount();
        deposit(account, 1000);
        String key = unique("key");
        String body = "{\"amount\":400,\"currency\":\"EUR\"}";

        Answer first = wire.post(withdrawals(account), key, null, body);

        assertThat(first.status()).as(first.text()).isEqualTo(201);
        assertThat(first.header("Idempotent-Replayed")).isNull();
        assertThat(first.json().get("balance").asLong()).isEqualTo(600);
        Footprint withdrawn = Footprint.of(wire, account);
        assertThat(withdrawn).isEqualTo(new Footprint(3, 600, 3, 3));

        for (int attempt = 0; attempt < 2; attempt++) {
            assertReplayOf(wire.post(withdrawals(account), key, null, body), first);
        }
        assertThat(Footprint.of(wire, account)).isEqualTo(withdrawn);
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
    }

    @Test
    void the_same_body_with_its_members_in_another_order_and_other_whitespace_is_the_same_request() {
        String account = unique("idem-order");
        String openKey = unique("key");
        Answer opened = wire.post(ACCOUNTS, openKey, null, "{\"accountId\":\"" + account + "\",\"currency\":\"EUR\"}");
        assertThat(opened.status()).as(opened.text()).isEqualTo(201);
        assertReplayOf(wire.post(ACCOUNTS, openKey, null, "{ \"currency\" : \"EUR\",\n \"accountId\":\"" + account + "\" }"),
                opened);

        String key = unique("key");
        Answer first = wire.post(deposits(account), key, null,
                "{\"amount\":250,\"currency\":\"EUR\",\"reference\":\"invoice 7\"}");
        assertThat(first.status()).as(first.text()).isEqualTo(201);
        Footprint after = Footprint.of(wire, account);

        Answer reordered = wire.post(deposits(account), key, null,
                "{\n  \"reference\": \"invoice 7\",\n  \"currency\": \"EUR\",\n  \"amount\": 250\n}");

        assertReplayOf(reordered, first);
        assertThat(Footprint.of(wire, account)).isEqualTo(after);
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
    }

    // ---------------------------------------------------------------- reused keys

    @Test
    void a_key_reused_with_another_body_is_refused_with_422_and_writes_nothing() {
        String account = openAccount();
        deposit(account, 1000);
        String key = unique("key");
        String body = "{\"amount\":100,\"currency\":\"EUR\"}";
        Answer first = wire.post(deposits(account), key, null, body);
        assertThat(first.status()).as(first.text()).isEqualTo(201);
        Footprint before = Footprint.of(wire, account);
        LedgerRows.StoredRow stored = LedgerRows.inboxRow(key).orElseThrow();

        for (String other : new String[] {
                "{\"amount\":101,\"currency\":\"EUR\"}",
                "{\"amount\":100,\"currency\":\"EUR\",\"reference\":\"now with a reference\"}",
                "{\"amount\":100,\"currency\":\"USD\"}"}) {
            Answer reused = wire.post(deposits(account), key, null, other);
            assertProblem(reused, 422, "idempotency-key-reused");
            assertThat(reused.header("Idempotent-Replayed")).isNull();
        }

        assertThat(Footprint.of(wire, account)).isEqualTo(before);
        assertThat(LedgerRows.inboxRow(key)).contains(stored);
        assertReplayOf(wire.post(deposits(account), key, null, body), first);
    }

    @Test
    void a_key_reused_on_another_path_is_refused_with_422_and_writes_nothing() {
        String account = openAccount();
        String other = openAccount();
        deposit(account, 1000);
        String key = unique("key");
        String body = "{\"amount\":100,\"currency\":\"EUR\"}";
        Answer first = wire.post(deposits(account), key, null, body);
        assertThat(first.status()).as(first.text()).isEqualTo(201);
        Footprint accountBefore = Footprint.of(wire, account);
        Footprint otherBefore = Footprint.of(wire, other);
        LedgerRows.StoredRow stored = LedgerRows.inboxRow(key).orElseThrow();

        assertProblem(wire.post(deposits(other), key, null, body), 422, "idempotency-key-reused");
        assertProblem(wire.post(withdrawals(account), key, null, body), 422, "idempotency-key-reused");
        String unopened = unique("idem-unopened");
        assertProblem(wire.post(ACCOUNTS, key, null, "{\"accountId\":\"" + unopened + "\",\"currency\":\"EUR\"}"),
                422, "idempotency-key-reused");

        assertThat(Footprint.of(wire, account)).isEqualTo(accountBefore);
        assertThat(Footprint.of(wire, other)).isEqualTo(otherBefore);
        assertThat(Footprint.of(wire, unopened)).isEqualTo(new Footprint(0, 0, 0, 0));
        assertThat(LedgerRows.inboxRow(key)).contains(stored);
        assertReplayOf(wire.post(deposits(account), key, null, body), first);
    }

    @Test
    void a_key_reused_with_another_if_match_is_refused_with_422_and_writes_nothing() {
        String account = openAccount();
        String key = unique("key");
        String body = "{\"amount\":100,\"currency\":\"EUR\"}";
        Answer first = wire.post(deposits(account), key, "\"1\"", body);
        assertThat(first.status()).as(first.text()).isEqualTo(201);
        Footprint before = Footprint.of(wire, account);
        assertThat(before.version()).isEqualTo(2);
        LedgerRows.StoredRow stored = LedgerRows.inboxRow(key).orElseThrow();

        // Without the precondition, and with one that the account would satisfy now: other requests.
        assertProblem(wire.post(deposits(account), key, null, body), 422, "idempotency-key-reused");
        assertProblem(wire.post(deposits(account), key, "\"2\"", body), 422, "idempotency-key-reused");

        assertThat(Footprint.of(wire, account)).isEqualTo(before);
        assertThat(LedgerRows.inboxRow(key)).contains(stored);
        // The same precondition is the same request, even though it is stale by now.
        assertReplayOf(wire.post(deposits(account), key, "\"1\"", body), first);
        assertThat(Footprint.of(wire, account)).isEqualTo(before);
    }

    // ---------------------------------------------------------------- in flight

    @Test
    void a_key_whose_request_is_in_flight_is_refused_with_409_and_retry_after_and_executes_once_released()
            throws SQLException {
        String account = openAccount();
        String key = unique("key");
        String body = "{\"amount\":700,\"currency\":\"EUR\"}";
        String lockKey = InboxStore.lockKey(new InboxKey(LedgerRows.CLIENT, key));
        Footprint before = Footprint.of(wire, account);

        try (Connection inFlight = TestDatabase.get().connect()) {
            assertThat(advisory(inFlight, "select pg_advisory_lock(hashtextextended(?, 0)) is not null", lockKey))
                    .isTrue();

            for (int attempt = 0; attempt < 2; attempt++) {
                Answer refused = wire.post(deposits(account), key, null, body);
                assertProblem(refused, 409, "idempotency-key-in-flight");
                assertThat(refused.header("Retry-After")).as("Retry-After").matches("[1-9][0-9]*");
                assertThat(refused.header("Idempotent-Replayed")).isNull();
            }
            assertThat(Footprint.of(wire, account)).isEqualTo(before);
            assertThat(LedgerRows.inboxRows(key)).isZero();

            // The lock is the key's, not the account's: another key on the same account goes through.
            Answer otherKey = wire.post(deposits(account), unique("key"), null, "{\"amount\":1,\"currency\":\"EUR\"}");
            assertThat(otherKey.status()).as(otherKey.text()).isEqualTo(201);

            assertThat(advisory(inFlight, "select pg_advisory_unlock(hashtextextended(?, 0))", lockKey)).isTrue();
        }

        Answer executed = wire.post(deposits(account), key, null, body);
        assertThat(executed.status()).as(executed.text()).isEqualTo(201);
        assertThat(executed.header("Idempotent-Replayed")).isNull();
        assertThat(executed.json().get("balance").asLong()).isEqualTo(701);
        assertThat(Footprint.of(wire, account)).isEqualTo(new Footprint(3, 701, 3, 3));
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
        assertReplayOf(wire.post(deposits(account), key, null, body), executed);
        assertThat(Footprint.of(wire, account)).isEqualTo(new Footprint(3, 701, 3, 3));
    }

    // ---------------------------------------------------------------- missing or malformed keys

    @Test
    void a_post_without_an_idempotency_key_is_refused_with_400_and_writes_nothing() {
        String account = openAccount();
        deposit(account, 1000);
        String unopened = unique("idem-unopened");
        Footprint before = Footprint.of(wire, account);

        assertProblem(wire.post(ACCOUNTS, null, null, "{\"accountId\":\"" + unopened + "\",\"currency\":\"EUR\"}"),
                400, "missing-idempotency-key");
        assertProblem(wire.post(deposits(account), null, null, "{\"amount\":10,\"currency\":\"EUR\"}"),
                400, "missing-idempotency-key");
        assertProblem(wire.post(withdrawals(account), null, null, "{\"amount\":10,\"currency\":\"EUR\"}"),
                400, "missing-idempotency-key");

        assertThat(Footprint.of(wire, account)).isEqualTo(before);
        assertThat(Footprint.of(wire, unopened)).isEqualTo(new Footprint(0, 0, 0, 0));
    }

    @Test
    void an_empty_key_is_refused_with_400_and_writes_nothing() {
        String account = openAccount();
        Footprint before = Footprint.of(wire, account);

        assertProblem(wire.post(deposits(account), "", null, "{\"amount\":10,\"currency\":\"EUR\"}"),
                400, "missing-idempotency-key");
        assertProblem(wire.rawPost(deposits(account), new byte[0], "{\"amount\":10,\"currency\":\"EUR\"}"),
                400, "missing-idempotency-key");
        assertProblem(wire.rawPost(deposits(account), "   ".getBytes(ISO_8859_1), "{\"amount\":10,\"currency\":\"EUR\"}"),
                400, "missing-idempotency-key");

        assertThat(Footprint.of(wire, account)).isEqualTo(before);
        assertThat(LedgerRows.inboxRows("")).isZero();
    }

    @Test
    void a_key_of_256_characters_is_refused_with_400_and_writes_nothing_while_one_of_255_is_accepted() {
        String account = openAccount();
        String longest = (unique("key") + "-").concat("k".repeat(255)).substring(0, 255);
        String tooLong = longest + "k";
        Footprint before = Footprint.of(wire, account);

        assertProblem(wire.post(deposits(account), tooLong, null, "{\"amount\":10,\"currency\":\"EUR\"}"),
                400, "missing-idempotency-key");

        assertThat(Footprint.of(wire, account)).isEqualTo(before);
        assertThat(LedgerRows.inboxRows(tooLong)).isZero();
        assertThat(LedgerRows.inboxRows(longest)).isZero();

        Answer accepted = wire.post(deposits(account), longest, null, "{\"amount\":10,\"currency\":\"EUR\"}");
        assertThat(accepted.status()).as(accepted.text()).isEqualTo(201);
        assertThat(LedgerRows.inboxRows(longest)).isEqualTo(1);
    }

    @ParameterizedTest(name = "a key {0} is refused with 400 missing-idempotency-key and writes nothing")
    @MethodSource("keysOutsidePrintableAscii")
    void a_key_with_a_character_outside_printable_ascii_is_refused_with_400_and_writes_nothing(
            String description, byte[] keyBytes) {
        String account = openAccount();
        Footprint before = Footprint.of(wire, account);
        String body = "{\"amount\":10,\"currency\":\"EUR\"}";

        // A raw socket: Java's HttpClient sends é as '?' (a valid key) and refuses anything above U+00FF.
        Answer refused = wire.rawPost(deposits(account), keyBytes, body);

        assertProblem(refused, 400, "missing-idempotency-key");
        assertNothingWrittenFor(account, before, keyBytes);
    }

    static Stream<Arguments> keysOutsidePrintableAscii() {
        return Stream.of(
                Arguments.of("with a Latin-1 letter (byte 0xE9)", "caf\u00e9-key".getBytes(ISO_8859_1)),
                Arguments.of("with a UTF-8 letter (é)", "caf\u00e9-key".getBytes(UTF_8)),
                Arguments.of("with a UTF-8 euro sign", "price-\u20ac-key".getBytes(UTF_8)),
                Arguments.of("with a tab inside", "tab\tkey".getBytes(ISO_8859_1)));
    }

    @Test
    void a_key_with_a_tab_sent_by_java_http_client_is_refused_with_400_and_writes_nothing() {
        String account = openAccount();
        Footprint before = Footprint.of(wire, account);

        assertProblem(wire.post(deposits(account), "tab\tkey", null, "{\"amount\":10,\"currency\":\"EUR\"}"),
                400, "missing-idempotency-key");

        assertNothingWrittenFor(account, before, "tab\tkey".getBytes(ISO_8859_1));
    }

    /**
     * HTTP forbids control characters in header values (RFC 9110, section 5.5), and Tomcat refuses
     * such a request while parsing it, before the application sees any key: the answer is the
     * generic 400 problem for a request that is not valid HTTP, never an HTML page.
     */
    @ParameterizedTest(name = "a key {0} makes the request invalid HTTP: a 400 problem, nothing written")
    @MethodSource("keysWithControlCharacters")
    void a_key_with_a_control_character_is_refused_with_a_400_problem_and_writes_nothing(
            String description, byte[] keyBytes) {
        String account = openAccount();
        Footprint before = Footprint.of(wire, account);

        Answer refused = wire.rawPost(deposits(account), keyBytes, "{\"amount\":10,\"currency\":\"EUR\"}");

        assertProblem(refused, 400, "malformed-request");
        assertThat(refused.text()).doesNotContainIgnoringCase("tomcat").doesNotContainIgnoringCase("<html");
        assertNothingWrittenFor(account, before, keyBytes);
    }

    static Stream<Arguments> keysWithControlCharacters() {
        return Stream.of(
                Arguments.of("with a NUL (0x00)", "nul\u0000key".getBytes(ISO_8859_1)),
                Arguments.of("with 0x01", "ctl\u0001key".getBytes(ISO_8859_1)),
                Arguments.of("with an escape (0x1B)", "esc\u001bkey".getBytes(ISO_8859_1)),
                Arguments.of("with DEL (0x7F)", "del\u007fkey".getBytes(ISO_8859_1)));
    }

    private void assertNothingWrittenFor(String account, Footprint before, byte[] keyBytes) {
        assertThat(Footprint.of(wire, account)).isEqualTo(before);
        assertThat(LedgerRows.inboxRows(new String(keyBytes, ISO_8859_1).replace("\u0000", ""))).isZero();
        assertThat(LedgerRows.inboxRows(new String(keyBytes, UTF_8).replace("\u0000", ""))).isZero();
    }

    // ---------------------------------------------------------------- validation failures

    @ParameterizedTest(name = "{0}: stores nothing, and the corrected request with the same key executes")
    @MethodSource("invalidDeposits")
    void a_deposit_refused_by_validation_stores_nothing_and_the_corrected_request_with_the_same_key_executes(
            String description, String ifMatch, String invalidBody, String expectedCode) {
        String account = openAccount();
        String key = unique("key");
        Footprint before = Footprint.of(wire, account);

        Answer refused = wire.post(deposits(account), key, ifMatch, invalidBody);

        assertProblem(refused, 400, expectedCode);
        assertThat(LedgerRows.inboxRows(key)).isZero();
        assertThat(Footprint.of(wire, account)).isEqualTo(before);

        Answer corrected = wire.post(deposits(account), key, "\"1\"", "{\"amount\":1050,\"currency\":\"EUR\"}");
        assertThat(corrected.status()).as(corrected.text()).isEqualTo(201);
        assertThat(corrected.header("Idempotent-Replayed")).isNull();
        assertThat(corrected.json().get("balance").asLong()).isEqualTo(1050);
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
        assertThat(Footprint.of(wire, account)).isEqualTo(new Footprint(2, 1050, 2, 2));
    }

    static Stream<Arguments> invalidDeposits() {
        return Stream.of(
                Arguments.of("a float amount", null, "{\"amount\":10.5,\"currency\":\"EUR\"}", "validation-failed"),
                Arguments.of("an exponent amount", null, "{\"amount\":1e3,\"currency\":\"EUR\"}", "validation-failed"),
                Arguments.of("a string amount", null, "{\"amount\":\"1050\",\"currency\":\"EUR\"}", "validation-failed"),
                Arguments.of("a zero amount", null, "{\"amount\":0,\"currency\":\"EUR\"}", "validation-failed"),
                Arguments.of("a two-letter currency", null, "{\"amount\":1050,\"currency\":\"XX\"}", "validation-failed"),
                Arguments.of("an unknown field", null, "{\"amount\":1050,\"currency\":\"EUR\",\"to\":\"x\"}",
                        "validation-failed"),
                Arguments.of("an unquoted If-Match", "1", "{\"amount\":1050,\"currency\":\"EUR\"}", "validation-failed"),
                Arguments.of("a truncated JSON body", null, "{\"amount\":1050,\"currency\":\"EUR\"", "malformed-request"));
    }

    @Test
    void an_account_opening_refused_by_validation_stores_nothing_and_the_corrected_one_with_the_same_key_opens() {
        String account = unique("idem-open");
        String key = unique("key");

        assertProblem(wire.post(ACCOUNTS, key, null, "{\"accountId\":\"" + account + "\",\"currency\":\"XX\"}"),
                400, "validation-failed");
        assertThat(LedgerRows.inboxRows(key)).isZero();
        assertThat(Footprint.of(wire, account)).isEqualTo(new Footprint(0, 0, 0, 0));

        Answer corrected = wire.post(ACCOUNTS, key, null, "{\"accountId\":\"" + account + "\",\"currency\":\"EUR\"}");
        assertThat(corrected.status()).as(corrected.text()).isEqualTo(201);
        assertThat(corrected.header("Idempotent-Replayed")).isNull();
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
        assertThat(Footprint.of(wire, account)).isEqualTo(new Footprint(1, 0, 1, 1));
    }

    // ---------------------------------------------------------------- business refusals are answers

    @Test
    void an_insufficient_funds_refusal_is_stored_and_replayed_even_once_the_balance_would_cover_it() {
        String account = openAccount();
        deposit(account, 100);
        String key = unique("key");
        String body = "{\"amount\":500,\"currency\":\"EUR\"}";

        Answer refused = wire.post(withdrawals(account), key, null, body);

        assertProblem(refused, 422, "insufficient-funds");
        assertThat(refused.header("Idempotent-Replayed")).isNull();
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
        assertThat(Footprint.of(wire, account)).isEqualTo(new Footprint(2, 100, 2, 3));

        deposit(account, 1000);
        Footprint funded = Footprint.of(wire, account);
        assertThat(funded.balance()).isEqualTo(1100);

        Answer replay = wire.post(withdrawals(account), key, null, body);
        assertReplayOf(replay, refused);
        assertThat(Footprint.of(wire, account)).isEqualTo(funded);
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
        // Executed anew the same withdrawal would now succeed: the 422 above was a replay, not a decision.
        Answer fresh = wire.post(withdrawals(account), unique("key"), null, body);
        assertThat(fresh.status()).as(fresh.text()).isEqualTo(201);
    }

    @Test
    void an_account_not_found_refusal_is_stored_and_replayed_even_once_the_account_is_opened() {
        String account = unique("idem-ghost");
        String key = unique("key");
        String body = "{\"amount\":500,\"currency\":\"EUR\"}";

        Answer refused = wire.post(deposits(account), key, null, body);

        assertProblem(refused, 404, "account-not-found");
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
        assertThat(LedgerRows.events(account)).isZero();

        Answer opened = wire.post(ACCOUNTS, unique("key"), null, "{\"accountId\":\"" + account + "\",\"currency\":\"EUR\"}");
        assertThat(opened.status()).as(opened.text()).isEqualTo(201);
        Footprint existing = Footprint.of(wire, account);

        assertReplayOf(wire.post(deposits(account), key, null, body), refused);
        assertThat(Footprint.of(wire, account)).isEqualTo(existing);
        assertThat(LedgerRows.events(account)).isEqualTo(1);
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
    }

    @Test
    void a_version_conflict_refusal_is_stored_and_replayed_even_once_the_account_reaches_that_version() {
        String account = openAccount();
        String key = unique("key");
        String body = "{\"amount\":500,\"currency\":\"EUR\"}";

        Answer refused = wire.post(deposits(account), key, "\"3\"", body);

        assertProblem(refused, 412, "version-conflict");
        assertThat(refused.json().get("currentVersion").asLong()).isEqualTo(1);
        assertThat(refused.header("ETag")).isEqualTo("\"1\"");
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);

        deposit(account, 10);
        deposit(account, 10);
        Footprint atThree = Footprint.of(wire, account);
        assertThat(atThree.version()).isEqualTo(3);

        Answer replay = wire.post(deposits(account), key, "\"3\"", body);
        assertReplayOf(replay, refused);
        assertThat(replay.header("ETag")).isEqualTo("\"1\"");
        assertThat(Footprint.of(wire, account)).isEqualTo(atThree);
        Answer fresh = wire.post(deposits(account), unique("key"), "\"3\"", body);
        assertThat(fresh.status()).as(fresh.text()).isEqualTo(201);
    }

    @Test
    void an_account_exists_refusal_is_stored_and_replayed() {
        String account = openAccount();
        String key = unique("key");
        String body = "{\"accountId\":\"" + account + "\",\"currency\":\"USD\"}";

        Answer refused = wire.post(ACCOUNTS, key, null, body);

        assertProblem(refused, 409, "account-exists");
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
        Footprint before = Footprint.of(wire, account);
        assertReplayOf(wire.post(ACCOUNTS, key, null, body), refused);
        assertThat(Footprint.of(wire, account)).isEqualTo(before);
        assertThat(before.version()).isEqualTo(1);
    }

    // ---------------------------------------------------------------- If-Match

    @Test
    void a_deposit_with_a_matching_if_match_is_applied() {
        String account = openAccount();
        deposit(account, 100);
        deposit(account, 100);
        String key = unique("key");

        Answer applied = wire.post(deposits(account), key, "\"3\"", "{\"amount\":50,\"currency\":\"EUR\"}");

        assertThat(applied.status()).as(applied.text()).isEqualTo(201);
        assertThat(applied.json().get("version").asLong()).isEqualTo(4);
        assertThat(applied.json().get("balance").asLong()).isEqualTo(250);
        assertThat(applied.header("ETag")).isEqualTo("\"4\"");
        assertThat(Footprint.of(wire, account)).isEqualTo(new Footprint(4, 250, 4, 4));
    }

    @ParameterizedTest(name = "a {0} with a stale If-Match is refused with 412, its current version and ETag")
    @MethodSource("entryKinds")
    void an_entry_with_a_stale_if_match_is_refused_with_412_the_current_version_and_its_etag_and_writes_nothing(
            String kind) {
        String account = openAccount();
        deposit(account, 1000);
        deposit(account, 1000);
        Footprint before = Footprint.of(wire, account);
        String key = unique("key");

        Answer refused = wire.post(ACCOUNTS + "/" + account + "/" + kind, key, "\"2\"",
                "{\"amount\":50,\"currency\":\"EUR\"}");

        assertProblem(refused, 412, "version-conflict");
        assertThat(refused.json().get("currentVersion").asLong()).isEqualTo(3);
        assertThat(refused.header("ETag")).isEqualTo("\"3\"");
        assertThat(LedgerRows.events(account)).isEqualTo(3);
        // The refusal itself is the request's stored answer; it adds no event and no balance change.
        assertThat(LedgerRows.inboxRows(key)).isEqualTo(1);
        assertThat(Footprint.of(wire, account)).isEqualTo(
                new Footprint(before.version(), before.balance(), before.events(), before.storedAnswers() + 1));
    }

    static Stream<String> entryKinds() {
        return Stream.of("deposits", "withdrawals");
    }

    // ---------------------------------------------------------------- helpers

    private String openAccount() {
        String account = unique("idem");
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

    private static long openedAccountsInTheStore() {
        return LedgerRows.count("select count(*) from domain_event_entry where payload_type like ?",
                "%AccountOpenedEvent");
    }

    private static boolean advisory(Connection connection, String sql, String lockKey) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, lockKey);
            try (ResultSet result = statement.executeQuery()) {
                result.next();
                return result.getBoolean(1);
            }
        }
    }

    /** The replay is the first answer again, byte for byte, marked as a replay. */
    static void assertReplayOf(Answer replay, Answer first) {
        assertThat(replay.status()).as(replay.text()).isEqualTo(first.status());
        assertThat(replay.body()).as("body of the replay, byte for byte").isEqualTo(first.body());
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(first.header("Idempotent-Replayed")).isNull();
        for (String header : new String[] {"Content-Type", "ETag", "Location", "Retry-After", "Request-Id"}) {
            assertThat(replay.header(header)).as(header).isEqualTo(first.header(header));
        }
    }

    static void assertProblem(Answer answer, int status, String code) {
        assertThat(answer.status()).as(answer.text()).isEqualTo(status);
        assertThat(answer.header("Content-Type")).as("Content-Type").startsWith("application/problem+json");
        assertThat(answer.json().get("code").asText()).as(answer.text()).isEqualTo(code);
        assertThat(answer.json().get("status").asInt()).isEqualTo(status);
    }
}
