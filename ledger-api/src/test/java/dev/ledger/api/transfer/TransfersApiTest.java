package dev.ledger.api.transfer;

import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.Projections;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves that {@code POST /api/v1/transfers} and {@code GET /api/v1/transfers/{id}} honour the
 * contract: a completed transfer answers its documented body, shows as one debit and one credit in
 * the two histories and the global feed, and every refusal or invalid request writes nothing.
 */
class TransfersApiTest extends IntegrationTest {

    private static final String TRANSFERS = "/api/v1/transfers";
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final Set<String> PROBLEM_MEMBERS = Set.of("type", "title", "status", "detail", "code");

    // ---- success -------------------------------------------------------------------------------

    @Test
    void a_transfer_is_answered_201_with_the_contract_body_and_a_location() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "EUR", 0, 0);
        String transferId = unique("tr");

        Reply reply = transfer(unique("key"), body(transferId, from, to, 300, "EUR", "rent"));

        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        assertThat(reply.header("Content-Type")).startsWith("application/json");
        assertThat(URI.create(reply.header("Location")).getPath()).isEqualTo(TRANSFERS + "/" + transferId);
        assertThat(reply.header("Request-Id")).isNotBlank();
        assertThat(reply.header("Idempotent-Replayed")).isNull();
        JsonNode body = reply.json();
        assertThat(body.get("transferId").asText()).isEqualTo(transferId);
        assertThat(body.get("fromAccountId").asText()).isEqualTo(from);
        assertThat(body.get("toAccountId").asText()).isEqualTo(to);
        assertThat(body.get("amount").isIntegralNumber()).as("amount is a JSON integer").isTrue();
        assertThat(body.get("amount").asLong()).isEqualTo(300);
        assertThat(body.get("currency").asText()).isEqualTo("EUR");
        assertThat(body.get("status").asText()).isEqualTo("COMPLETED");
        // from: opened (1), funded (2), debited (3); to: opened (1), credited (2).
        assertThat(body.get("fromVersion").asLong()).isEqualTo(3);
        assertThat(body.get("toVersion").asLong()).isEqualTo(2);

        JsonNode payer = ledger.account(from).json();
        JsonNode payee = ledger.account(to).json();
        assertThat(payer.get("balance").asLong()).isEqualTo(700);
        assertThat(payer.get("version").asLong()).isEqualTo(3);
        assertThat(payee.get("balance").asLong()).isEqualTo(300);
        assertThat(payee.get("version").asLong()).isEqualTo(2);
        assertThat(Rows.transfers(transferId)).isEqualTo(1);
    }

    @Test
    void reading_a_transfer_returns_what_its_post_answered() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "EUR", 0, 0);
        String transferId = unique("tr");
        Reply created = transfer(unique("key"), body(transferId, from, to, 120, "EUR", null));
        assertThat(created.status()).as(created.body()).isEqualTo(201);

        Reply read = ledger.get(TRANSFERS + "/" + transferId);

        assertThat(read.status()).as(read.body()).isEqualTo(200);
        assertThat(read.header("Content-Type")).startsWith("application/json");
        assertThat(read.json()).isEqualTo(created.json());
    }

    @Test
    void a_transfer_without_an_id_gets_a_generated_one_that_a_replay_keeps() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "EUR", 0, 0);
        String key = unique("key");
        String body = body(null, from, to, 10, "EUR", null);

        Reply first = transfer(key, body);
        Reply replay = transfer(key, body);
        Reply second = transfer(unique("key"), body);

        assertThat(first.status()).as(first.body()).isEqualTo(201);
        assertThat(second.status()).as(second.body()).isEqualTo(201);
        String generated = first.json().get("transferId").asText();
        assertThat(generated).matches("[A-Za-z0-9_-]{1,64}");
        assertThat(URI.create(first.header("Location")).getPath()).isEqualTo(TRANSFERS + "/" + generated);
        assertThat(replay.body()).as("the replay answers the same generated id").isEqualTo(first.body());
        assertThat(second.json().get("transferId").asText()).as("another request, another id").isNotEqualTo(generated);
        assertThat(ledger.get(TRANSFERS + "/" + generated).json()).isEqualTo(first.json());

        History payer = History.read(ledger, from);
        assertThat(payer.ofType("TRANSFER_DEBIT")).as("two transfers, not three").hasSize(2);
        assertThat(payer.legs("TRANSFER_DEBIT", generated)).hasSize(1);
        assertThat(payer.balance()).isEqualTo(980);
    }

    @Test
    void both_legs_appear_in_the_two_histories_with_the_transfer_id() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "EUR", 0, 50);
        String transferId = unique("tr");
        JsonNode done = transfer(unique("key"), body(transferId, from, to, 300, "EUR", "invoice 7")).json();

        History payer = History.read(ledger, from);
        History payee = History.read(ledger, to);

        assertThat(payer.version()).isEqualTo(3);
        JsonNode debit = payer.lines().get(2);
        assertThat(debit.get("type").asText()).isEqualTo("TRANSFER_DEBIT");
        assertThat(debit.get("transferId").asText()).isEqualTo(transferId);
        assertThat(debit.get("amount").asLong()).isEqualTo(300);
        assertThat(debit.get("currency").asText()).isEqualTo("EUR");
        assertThat(debit.get("balanceAfter").asLong()).isEqualTo(700);
        assertThat(debit.get("version").asLong()).isEqualTo(done.get("fromVersion").asLong());
        assertThat(debit.get("reference").asText()).isEqualTo("invoice 7");
        assertThat(debit.get("occurredAt").asText()).endsWith("Z");

        assertThat(payee.version()).isEqualTo(3);
        JsonNode credit = payee.lines().get(2);
        assertThat(credit.get("type").asText()).isEqualTo("TRANSFER_CREDIT");
        assertThat(credit.get("transferId").asText()).isEqualTo(transferId);
        assertThat(credit.get("amount").asLong()).isEqualTo(300);
        assertThat(credit.get("balanceAfter").asLong()).isEqualTo(350);
        assertThat(credit.get("version").asLong()).isEqualTo(done.get("toVersion").asLong());
        assertThat(credit.get("reference").asText()).isEqualTo("invoice 7");
        assertThat(credit.get("entryId").asText()).isNotEqualTo(debit.get("entryId").asText());
    }

    @Test
    void both_legs_appear_once_in_the_global_feed() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "EUR", 0, 0);
        Projections.awaitSettled();
        long before = Rows.count("select coalesce(max(position), 0) from event_feed");
        String transferId = unique("tr");
        JsonNode done = transfer(unique("key"), body(transferId, from, to, 400, "EUR", null)).json();
        Projections.awaitSettled();

        List<JsonNode> legs = new ArrayList<>();
        long after = before;
        while (true) {
            Reply page = ledger.get("/api/v1/events?afterPosition=" + after + "&limit=1000");
            assertThat(page.status()).as(page.body()).isEqualTo(200);
            JsonNode items = page.json().get("items");
            items.forEach(item -> {
                if (item.hasNonNull("transferId") && item.get("transferId").asText().equals(transferId)) {
                    legs.add(item);
                }
            });
            if (items.isEmpty()) {
                break;
            }
            after = page.json().get("nextAfterPosition").asLong();
        }

        assertThat(legs).as("feed lines of %s", transferId).hasSize(2);
        JsonNode debit = legs.stream().filter(l -> l.get("type").asText().equals("TRANSFER_DEBIT")).findFirst()
                .orElseThrow(() -> new AssertionError("no TRANSFER_DEBIT in " + legs));
        JsonNode credit = legs.stream().filter(l -> l.get("type").asText().equals("TRANSFER_CREDIT")).findFirst()
                .orElseThrow(() -> new AssertionError("no TRANSFER_CREDIT in " + legs));
        assertThat(debit.get("accountId").asText()).isEqualTo(from);
        assertThat(debit.get("version").asLong()).isEqualTo(done.get("fromVersion").asLong());
        assertThat(debit.get("amount").asLong()).isEqualTo(400);
        assertThat(debit.get("balanceAfter").asLong()).isEqualTo(600);
        assertThat(credit.get("accountId").asText()).isEqualTo(to);
        assertThat(credit.get("version").asLong()).isEqualTo(done.get("toVersion").asLong());
        assertThat(credit.get("amount").asLong()).isEqualTo(400);
        assertThat(credit.get("balanceAfter").asLong()).isEqualTo(400);
        assertThat(debit.get("position").asLong()).isGreaterThan(before);
        assertThat(credit.get("position").asLong()).isGreaterThan(before)
                .isNotEqualTo(debit.get("position").asLong());
    }

    @Test
    void a_transfer_exactly_at_the_payers_overdraft_limit_is_accepted() {
        String from = openFunded("from", "EUR", 50, 100);
        String to = openFunded("to", "EUR", 0, 0);

        Reply reply = transfer(unique("key"), body(unique("tr"), from, to, 150, "EUR", null));

        assertThat(reply.status()).as(reply.body()).isEqualTo(201);
        assertThat(ledger.account(from).json().get("balance").asLong()).isEqualTo(-50);
        assertThat(ledger.account(to).json().get("balance").asLong()).isEqualTo(150);
    }

    // ---- refusals ------------------------------------------------------------------------------

    @Test
    void a_transfer_one_unit_past_the_overdraft_limit_is_refused_422_insufficient_funds_writing_nothing() {
        String from = openFunded("from", "EUR", 50, 100);
        String to = openFunded("to", "EUR", 0, 0);

        assertRefusedWritingNothing(from, to, 151, "EUR", 422, "insufficient-funds");
    }

    @Test
    void a_transfer_from_an_unknown_account_is_refused_404_account_not_found_writing_nothing() {
        String from = unique("ghost");
        String to = openFunded("to", "EUR", 0, 0);

        assertRefusedWritingNothing(from, to, 10, "EUR", 404, "account-not-found");
    }

    @Test
    void a_transfer_to_an_unknown_account_is_refused_404_account_not_found_writing_nothing() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = unique("ghost");

        assertRefusedWritingNothing(from, to, 10, "EUR", 404, "account-not-found");
    }

    @Test
    void a_transfer_to_the_paying_account_itself_is_refused_422_same_account_writing_nothing() {
        String account = openFunded("self", "EUR", 0, 1000);

        assertRefusedWritingNothing(account, account, 10, "EUR", 422, "same-account");
    }

    @Test
    void a_transfer_to_an_account_of_another_currency_is_refused_422_currency_mismatch_writing_nothing() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "USD", 0, 0);

        assertRefusedWritingNothing(from, to, 10, "EUR", 422, "currency-mismatch");
    }

    @Test
    void a_transfer_from_an_account_of_another_currency_is_refused_422_currency_mismatch_writing_nothing() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "USD", 0, 0);

        assertRefusedWritingNothing(from, to, 10, "USD", 422, "currency-mismatch");
    }

    @Test
    void a_transfer_in_a_currency_neither_account_holds_is_refused_422_currency_mismatch_writing_nothing() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "EUR", 0, 0);

        assertRefusedWritingNothing(from, to, 10, "USD", 422, "currency-mismatch");
    }

    @Test
    void a_transfer_id_used_before_is_refused_409_transfer_exists_writing_nothing() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "EUR", 0, 0);
        String transferId = unique("tr");
        Reply first = transfer(unique("key"), body(transferId, from, to, 100, "EUR", null));
        assertThat(first.status()).as(first.body()).isEqualTo(201);

        // Another key, another amount, even the opposite direction: the id is taken.
        Footprint before = Footprint.of(from, to, transferId);
        Reply again = transfer(unique("key"), body(transferId, from, to, 5, "EUR", null));
        Reply reversed = transfer(unique("key"), body(transferId, to, from, 5, "EUR", null));

        assertProblem(again, 409, "transfer-exists");
        assertProblem(reversed, 409, "transfer-exists");
        assertThat(Footprint.of(from, to, transferId)).isEqualTo(before);
        assertThat(ledger.get(TRANSFERS + "/" + transferId).json()).isEqualTo(first.json());
    }

    @Test
    void a_refused_transfer_is_replayed_as_refused_even_after_the_payer_is_funded() {
        String from = openFunded("from", "EUR", 0, 100);
        String to = openFunded("to", "EUR", 0, 0);
        String transferId = unique("tr");
        String key = unique("key");
        String body = body(transferId, from, to, 500, "EUR", null);
        Reply refused = transfer(key, body);
        assertProblem(refused, 422, "insufficient-funds");
        assertThat(ledger.deposit(from, 1000, "EUR").status()).isEqualTo(201);
        Footprint before = Footprint.of(from, to, transferId);

        Reply replay = transfer(key, body);

        assertThat(replay.status()).isEqualTo(422);
        assertThat(replay.body()).isEqualTo(refused.body());
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(Footprint.of(from, to, transferId)).isEqualTo(before);

        // A client that wants the transfer now sends it again under a new key: the id is still free.
        Reply retried = transfer(unique("key"), body);
        assertThat(retried.status()).as(retried.body()).isEqualTo(201);
        assertThat(retried.json().get("transferId").asText()).isEqualTo(transferId);
        assertThat(ledger.account(from).json().get("balance").asLong()).isEqualTo(600);
    }

    // ---- idempotency ---------------------------------------------------------------------------

    @Test
    void the_same_key_and_body_again_replays_the_answer_byte_for_byte_and_moves_money_once() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "EUR", 0, 0);
        String transferId = unique("tr");
        String key = unique("key");
        Reply first = transfer(key, body(transferId, from, to, 250, "EUR", "once"));
        assertThat(first.status()).as(first.body()).isEqualTo(201);
        Footprint after = Footprint.of(from, to, transferId);

        // Member order does not make it another request.
        Reply replay = transfer(key, "{\"reference\":\"once\",\"currency\":\"EUR\",\"amount\":250,\"toAccountId\":\""
                + to + "\",\"fromAccountId\":\"" + from + "\",\"transferId\":\"" + transferId + "\"}");

        assertThat(replay.status()).isEqualTo(201);
        assertThat(replay.body()).isEqualTo(first.body());
        assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
        assertThat(replay.header("Location")).isEqualTo(first.header("Location"));
        assertThat(replay.header("Request-Id")).isEqualTo(first.header("Request-Id"));
        assertThat(Footprint.of(from, to, transferId)).isEqualTo(after);
        assertThat(History.read(ledger, from).legs("TRANSFER_DEBIT", transferId)).hasSize(1);
        assertThat(History.read(ledger, to).legs("TRANSFER_CREDIT", transferId)).hasSize(1);
        assertThat(ledger.account(from).json().get("balance").asLong()).isEqualTo(750);
    }

    @Test
    void the_same_key_with_another_body_is_refused_422_idempotency_key_reused_writing_nothing() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "EUR", 0, 0);
        String key = unique("key");
        assertThat(transfer(key, body(unique("tr"), from, to, 250, "EUR", null)).status()).isEqualTo(201);
        String otherId = unique("tr");
        Footprint before = Footprint.of(from, to, otherId);

        Reply reused = transfer(key, body(otherId, from, to, 251, "EUR", null));

        assertProblem(reused, 422, "idempotency-key-reused");
        assertThat(Footprint.of(from, to, otherId)).isEqualTo(before);
    }

    @Test
    void one_transfer_id_raced_under_ten_keys_between_unrelated_accounts_moves_money_once() throws Exception {
        int parties = 10;
        List<String> payers = new ArrayList<>();
        List<String> payees = new ArrayList<>();
        for (int i = 0; i < parties; i++) {
            payers.add(openFunded("payer", "EUR", 0, 1000));
            payees.add(openFunded("payee", "EUR", 0, 0));
        }
        String transferId = unique("tr");

        List<Reply> replies = race(parties, i -> transfer(unique("key"),
                body(transferId, payers.get(i), payees.get(i), 100 + i, "EUR", null)));

        List<Reply> done = replies.stream().filter(reply -> reply.status() == 201).toList();
        List<Reply> taken = replies.stream().filter(reply -> reply.status() == 409).toList();
        assertThat(done).as("201 answers among %s", replies).hasSize(1);
        assertThat(taken).as("409 answers among %s", replies).hasSize(parties - 1);
        taken.forEach(reply -> assertProblem(reply, 409, "transfer-exists"));
        JsonNode winner = done.get(0).json();
        int index = payers.indexOf(winner.get("fromAccountId").asText());
        assertThat(index).isNotNegative();
        for (int i = 0; i < parties; i++) {
            long debits = History.read(ledger, payers.get(i)).legs("TRANSFER_DEBIT", transferId).size();
            long credits = History.read(ledger, payees.get(i)).legs("TRANSFER_CREDIT", transferId).size();
            assertThat(debits).as("debits of %s on payer %d", transferId, i).isEqualTo(i == index ? 1 : 0);
            assertThat(credits).as("credits of %s on payee %d", transferId, i).isEqualTo(i == index ? 1 : 0);
        }
        assertThat(Rows.transfers(transferId)).isEqualTo(1);
    }

    // ---- reads and bad requests ----------------------------------------------------------------

    @Test
    void reading_an_unknown_transfer_is_404_transfer_not_found() {
        Reply reply = ledger.get(TRANSFERS + "/" + unique("nope"));

        assertProblem(reply, 404, "transfer-not-found");
    }

    @Test
    void reading_a_transfer_by_a_malformed_id_is_400() {
        Reply reply = ledger.get(TRANSFERS + "/" + "x".repeat(65));

        assertThat(reply.status()).as(reply.body()).isEqualTo(400);
        assertThat(reply.json().get("code").asText()).isEqualTo("validation-failed");
    }

    @Test
    void a_transfer_without_an_idempotency_key_is_400_missing_idempotency_key_writing_nothing() {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "EUR", 0, 0);
        String transferId = unique("tr");
        Footprint before = Footprint.of(from, to, transferId);

        Reply reply = ledger.post(TRANSFERS, null, null, body(transferId, from, to, 10, "EUR", null));

        assertProblem(reply, 400, "missing-idempotency-key");
        assertThat(Footprint.of(from, to, transferId)).isEqualTo(before);
    }

    static Stream<Arguments> badBodies() {
        String valid = "\"fromAccountId\":\"{from}\",\"toAccountId\":\"{to}\",\"currency\":\"EUR\"";
        return Stream.of(
                Arguments.of("empty object", "{}"),
                Arguments.of("no amount", "{" + valid + "}"),
                Arguments.of("float amount", "{" + valid + ",\"amount\":10.5}"),
                Arguments.of("exponent amount", "{" + valid + ",\"amount\":1e3}"),
                Arguments.of("string amount", "{" + valid + ",\"amount\":\"10\"}"),
                Arguments.of("boolean amount", "{" + valid + ",\"amount\":true}"),
                Arguments.of("null amount", "{" + valid + ",\"amount\":null}"),
                Arguments.of("zero amount", "{" + valid + ",\"amount\":0}"),
                Arguments.of("negative amount", "{" + valid + ",\"amount\":-5}"),
                Arguments.of("amount above 10^15", "{" + valid + ",\"amount\":1000000000000001}"),
                Arguments.of("lower-case currency", "{\"fromAccountId\":\"{from}\",\"toAccountId\":\"{to}\","
                        + "\"currency\":\"eur\",\"amount\":10}"),
                Arguments.of("no currency", "{\"fromAccountId\":\"{from}\",\"toAccountId\":\"{to}\",\"amount\":10}"),
                Arguments.of("no payer", "{\"toAccountId\":\"{to}\",\"currency\":\"EUR\",\"amount\":10}"),
                Arguments.of("no payee", "{\"fromAccountId\":\"{from}\",\"currency\":\"EUR\",\"amount\":10}"),
                Arguments.of("malformed payer", "{\"fromAccountId\":\"a/b\",\"toAccountId\":\"{to}\","
                        + "\"currency\":\"EUR\",\"amount\":10}"),
                Arguments.of("empty payee", "{\"fromAccountId\":\"{from}\",\"toAccountId\":\"\","
                        + "\"currency\":\"EUR\",\"amount\":10}"),
                Arguments.of("malformed transfer id", "{" + valid + ",\"amount\":10,\"transferId\":\"has space\"}"),
                Arguments.of("transfer id of 65 characters", "{" + valid + ",\"amount\":10,\"transferId\":\""
                        + "t".repeat(65) + "\"}"),
                Arguments.of("numeric transfer id", "{" + valid + ",\"amount\":10,\"transferId\":42}"),
                Arguments.of("reference of 141 characters", "{" + valid + ",\"amount\":10,\"reference\":\""
                        + "r".repeat(141) + "\"}"),
                Arguments.of("unknown member", "{" + valid + ",\"amount\":10,\"memo\":\"x\"}"),
                Arguments.of("array body", "[]"),
                Arguments.of("not JSON", "{\"amount\":"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badBodies")
    void a_bad_body_is_400_writes_nothing_and_leaves_the_key_usable(String name, String template) {
        String from = openFunded("from", "EUR", 0, 1000);
        String to = openFunded("to", "EUR", 0, 0);
        String key = unique("key");
        Footprint before = Footprint.of(from, to, "none");

        Reply reply = transfer(key, template.replace("{from}", from).replace("{to}", to));

        assertThat(reply.status()).as(reply.body()).isEqualTo(400);
        assertThat(reply.header("Content-Type")).startsWith("application/problem+json");
        assertThat(reply.json().get("code").asText()).isIn("malformed-request", "validation-failed");
        assertThat(Footprint.of(from, to, "none")).isEqualTo(before);
        assertThat(Rows.count("select count(*) from idempotency_inbox where idempotency_key = ?", key)).isZero();

        Reply fixed = transfer(key, body(null, from, to, 10, "EUR", null));
        assertThat(fixed.status()).as("the corrected request under the same key: %s", fixed.body()).isEqualTo(201);
    }

    // ---- helpers -------------------------------------------------------------------------------

    /** Sends the transfer, expects the refusal, and checks that neither account nor the transfer table changed. */
    private void assertRefusedWritingNothing(String from, String to, long amount, String currency, int status,
                                             String code) {
        String transferId = unique("tr");
        Footprint before = Footprint.of(from, to, transferId);

        Reply reply = transfer(unique("key"), body(transferId, from, to, amount, currency, null));

        assertProblem(reply, status, code);
        assertThat(Footprint.of(from, to, transferId)).isEqualTo(before);
        assertThat(ledger.get(TRANSFERS + "/" + transferId).status()).isEqualTo(404);
    }

    private static void assertProblem(Reply reply, int status, String code) {
        assertThat(reply.status()).as(reply.body()).isEqualTo(status);
        assertThat(reply.header("Content-Type")).startsWith("application/problem+json");
        JsonNode problem = reply.json();
        Set<String> members = new HashSet<>();
        problem.fieldNames().forEachRemaining(members::add);
        assertThat(members).containsAll(PROBLEM_MEMBERS);
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("code").asText()).isEqualTo(code);
    }

    private String openFunded(String prefix, String currency, long overdraftLimit, long funds) {
        String account = unique(prefix);
        Reply opened = ledger.openAccount(account, currency, overdraftLimit);
        assertThat(opened.status()).as(opened.body()).isEqualTo(201);
        if (funds > 0) {
            Reply funded = ledger.deposit(account, funds, currency);
            assertThat(funded.status()).as(funded.body()).isEqualTo(201);
        }
        return account;
    }

    private Reply transfer(String key, String body) {
        return ledger.post(TRANSFERS, key, null, body);
    }

    static String body(String transferId, String from, String to, long amount, String currency, String reference) {
        StringBuilder json = new StringBuilder("{");
        if (transferId != null) {
            json.append("\"transferId\":\"").append(transferId).append("\",");
        }
        json.append("\"fromAccountId\":\"").append(from).append("\",\"toAccountId\":\"").append(to)
                .append("\",\"amount\":").append(amount).append(",\"currency\":\"").append(currency).append('"');
        if (reference != null) {
            json.append(",\"reference\":\"").append(reference).append('"');
        }
        return json.append('}').toString();
    }

    /** Runs {@code parties} requests released together by a start gate; every wait is bounded. */
    private static <T> List<T> race(int parties, java.util.function.IntFunction<T> request) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(parties);
        CountDownLatch ready = new CountDownLatch(parties);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < parties; i++) {
                int index = i;
                futures.add(threads.submit(() -> {
                    ready.countDown();
                    if (!start.await(WAIT.toSeconds(), SECONDS)) {
                        throw new IllegalStateException("the start gate never opened");
                    }
                    return request.apply(index);
                }));
            }
            assertThat(ready.await(WAIT.toSeconds(), SECONDS)).isTrue();
            start.countDown();
            long deadline = System.nanoTime() + WAIT.toNanos();
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) {
                results.add(future.get(Math.max(0, deadline - System.nanoTime()), NANOSECONDS));
            }
            return results;
        } finally {
            start.countDown();
            threads.shutdownNow();
            assertThat(threads.awaitTermination(WAIT.toSeconds(), SECONDS)).as("race threads ended").isTrue();
        }
    }

    /**
     * Everything a transfer could have written: both accounts' events and outbox rows, and the
     * transfer row. Equal footprints around a request prove it wrote none of them.
     */
    private record Footprint(long fromEvents, long toEvents, long fromOutbox, long toOutbox, long transferRows) {

        static Footprint of(String from, String to, String transferId) {
            return new Footprint(Rows.events(from), Rows.events(to), Rows.outbox(from), Rows.outbox(to),
                    Rows.transfers(transferId));
        }
    }
}
