package dev.ledger.api.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves that hostile input to the transfer, feed, reconciliation and admin endpoints gets a 4xx
 * problem with the contract's code, leaks no stack trace, SQL or class name, and writes nothing.
 */
class HostileInputAllEndpointsTest extends IntegrationTest {

    private static final String TRANSFERS = "/api/v1/transfers";
    private static final String FEED = "/api/v1/events";
    private static final String RECONCILIATIONS = "/api/v1/reconciliations";
    private static final String RETRY = "/api/v1/admin/dead-letters/%s/retry";
    private static final String JSON = "application/json";

    /** Text that would betray internals: stack frames, SQL, Java class or package names. */
    private static final List<String> LEAKS = List.of("exception", "at dev.", "org.", "java.", "javax.",
            "jakarta.", "com.fasterxml", "select ", "insert ", "update ", "delete from", "drop table", "sqlstate",
            "hibernate", "axon", "jackson", "tomcat", "<html", "stack", "trace", "psql", "postgres");

    /** Hostile ids, each as JSON text for a body. */
    private static final String[][] BAD_IDS = {
            {"65 characters", "\"" + "a".repeat(65) + "\""},
            {"a slash", "\"a/b\""},
            {"a path traversal", "\"../../etc/passwd\""},
            {"an SQL fragment", "\"' OR 1=1 --\""},
            {"a statement separator", "\"x'; drop table transfer; --\""},
            {"nothing", "\"\""},
            {"a dot", "\"a.b\""},
            {"a space", "\"a b\""},
            {"a non-ASCII letter", "\"konto-\u00e9\""},
            {"a percent escape", "\"%2e%2e\""},
            {"a NUL character", "\"a\\u0000b\""}};

    /** The fixtures: EUR accounts {a} (balance 500) and {b}, USD account {usd}, transfer {t} from a to b. */
    private static Map<String, String> fixtures;

    @BeforeEach
    void openTheFixturesOnce() {
        if (fixtures == null) {
            String a = unique("hostile-a");
            String b = unique("hostile-b");
            String usd = unique("hostile-usd");
            assertThat(ledger.openAccount(a, "EUR", 0).status()).isEqualTo(201);
            assertThat(ledger.openAccount(b, "EUR", 0).status()).isEqualTo(201);
            assertThat(ledger.openAccount(usd, "USD", 0).status()).isEqualTo(201);
            assertThat(ledger.deposit(a, 600, "EUR").status()).isEqualTo(201);
            Reply sent = ledger.post(TRANSFERS, "{\"fromAccountId\":\"" + a + "\",\"toAccountId\":\"" + b
                    + "\",\"amount\":100,\"currency\":\"EUR\"}");
            assertThat(sent.status()).as(sent.body()).isEqualTo(201);
            Map<String, String> values = new LinkedHashMap<>();
            values.put("{a}", a);
            values.put("{b}", b);
            values.put("{usd}", usd);
            values.put("{t}", sent.json().get("transferId").asText());
            fixtures = values;
        }
    }

    static Stream<Case> hostileRequests() {
        List<Case> cases = new ArrayList<>();

        // POST /api/v1/transfers: bodies that are not one JSON object.
        cases.add(post("transfer: malformed JSON", TRANSFERS, "{\"fromAccountId\" \"{a}\"}").is(400,
                "malformed-request"));
        cases.add(post("transfer: truncated JSON", TRANSFERS, "{\"fromAccountId\":\"{a}\",\"toAccountId\":\"{b")
                .is(400, "malformed-request"));
        cases.add(post("transfer: an empty body", TRANSFERS, "").is(400, "malformed-request"));
        cases.add(post("transfer: null as body", TRANSFERS, "null").is(400, "malformed-request"));
        cases.add(post("transfer: an array as body", TRANSFERS, "[" + transfer() + "]").is(400,
                "validation-failed"));
        cases.add(post("transfer: a string as body", TRANSFERS, "\"{a}\"").is(400, "validation-failed"));
        cases.add(post("transfer: a number as body", TRANSFERS, "100").is(400, "validation-failed"));
        cases.add(post("transfer: trailing tokens", TRANSFERS, transfer() + " {}").is(400, "malformed-request"));
        cases.add(post("transfer: a comment", TRANSFERS, "{/* x */" + transfer().substring(1)).is(400,
                "malformed-request"));
        cases.add(post("transfer: single quotes", TRANSFERS, transfer().replace('"', '\'')).is(400,
                "malformed-request"));
        cases.add(post("transfer: an unknown field", TRANSFERS, transfer("fee", "0")).is(400,
                "validation-failed"));

        // Wrong JSON types, field by field.
        for (String[] wrong : new String[][] {{"a number", "42"}, {"a boolean", "true"}, {"an object", "{}"},
                {"an array", "[\"x\"]"}}) {
            for (String field : List.of("transferId", "fromAccountId", "toAccountId", "currency", "reference")) {
                cases.add(post("transfer: " + field + " as " + wrong[0], TRANSFERS, transfer(field, wrong[1]))
                        .is(400, "validation-failed"));
            }
        }
        for (String field : List.of("fromAccountId", "toAccountId", "amount", "currency")) {
            cases.add(post("transfer: " + field + " null", TRANSFERS, transfer(field, "null")).is(400,
                    "validation-failed"));
            cases.add(post("transfer: " + field + " missing", TRANSFERS, transferWithout(field)).is(400,
                    "validation-failed"));
        }

        // Amounts: only a JSON integer from 1 to 10^15.
        for (String[] amount : new String[][] {{"the string \"100\"", "\"100\""}, {"a boolean", "true"},
                {"an object", "{\"value\":100}"}, {"an array", "[100]"}, {"the float 10.5", "10.5"},
                {"the float 100.0", "100.0"}, {"the exponent 1e2", "1e2"}, {"the exponent 1E+2", "1E+2"},
                {"zero", "0"}, {"minus one", "-1"}, {"minus zero", "-0"}, {"10^15 + 1", "1000000000000001"},
                {"2^63", "9223372036854775808"}, {"-2^63 - 1", "-9223372036854775809"},
                {"the string \"NaN\"", "\"NaN\""}}) {
            cases.add(post("transfer: amount " + amount[0], TRANSFERS, transfer("amount", amount[1])).is(400,
                    "validation-failed"));
        }
        for (String[] amount : new String[][] {{"an unquoted NaN", "NaN"}, {"an unquoted Infinity", "Infinity"},
                {"-Infinity", "-Infinity"}, {"a 100-digit number", "9".repeat(100)}, {"hexadecimal", "0x64"},
                {"a leading zero", "0100"}, {"a leading plus", "+100"}, {"a trailing dot", "100."}}) {
            cases.add(post("transfer: amount " + amount[0], TRANSFERS, transfer("amount", amount[1])).is(400,
                    "malformed-request"));
        }
        cases.add(post("transfer: duplicate amount keys", TRANSFERS,
                "{\"amount\":1," + transfer().substring(1)).is(400, "malformed-request"));
        cases.add(post("transfer: duplicate fromAccountId keys", TRANSFERS,
                "{\"fromAccountId\":\"{b}\"," + transfer().substring(1)).is(400, "malformed-request"));
        cases.add(post("transfer: an amount nested 40 deep", TRANSFERS,
                transfer("amount", "[".repeat(40) + "1" + "]".repeat(40))).is(400, "malformed-request"));
        cases.add(post("transfer: an unknown field nested 3000 deep", TRANSFERS,
                transfer("x", "[".repeat(3000) + "]".repeat(3000))).is(400, "malformed-request"));
        cases.add(post("transfer: an amount nested 5 deep", TRANSFERS,
                transfer("amount", "[[[[[1]]]]]")).is(400, "validation-failed"));

        // Currencies: ISO 4217 alpha-3, upper case, known.
        for (String[] currency : new String[][] {{"eur", "\"eur\""}, {"EURO", "\"EURO\""}, {"XYZ", "\"XYZ\""},
                {"empty", "\"\""}, {"E U", "\"E U\""}, {"with a NUL", "\"EU\\u0000\""}}) {
            cases.add(post("transfer: currency " + currency[0], TRANSFERS, transfer("currency", currency[1]))
                    .is(400, "validation-failed"));
        }

        // References: at most 140 characters without control characters.
        cases.add(post("transfer: a 141-character reference", TRANSFERS,
                transfer("reference", "\"" + "r".repeat(141) + "\"")).is(400, "validation-failed"));
        cases.add(post("transfer: a reference with a control character", TRANSFERS,
                transfer("reference", "\"pay\\u001bday\"")).is(400, "validation-failed"));

        // Account ids and transfer ids.
        for (String[] id : BAD_IDS) {
            for (String field : List.of("fromAccountId", "toAccountId", "transferId")) {
                cases.add(post("transfer: " + field + " with " + id[0], TRANSFERS, transfer(field, id[1]))
                        .is(400, "validation-failed"));
            }
        }

        // Oversized bodies: refused before they are parsed.
        cases.add(post("transfer: a 17 KiB body", TRANSFERS,
                transfer("reference", "\"" + "r".repeat(17 * 1024) + "\"")).is(413, "payload-too-large"));
        cases.add(post("transfer: a chunked body of a megabyte", TRANSFERS,
                transfer("reference", "\"" + "r".repeat(1 << 20) + "\"")).chunked().is(413, "payload-too-large"));

        // Headers.
        cases.add(post("transfer: without Idempotency-Key", TRANSFERS, transfer()).without("Idempotency-Key")
                .is(400, "missing-idempotency-key"));
        cases.add(post("transfer: a 256-character Idempotency-Key", TRANSFERS, transfer())
                .with("Idempotency-Key", "k".repeat(256)).is(400, "missing-idempotency-key"));
        cases.add(post("transfer: a blank Idempotency-Key", TRANSFERS, transfer()).with("Idempotency-Key", "  ")
                .is(400, "missing-idempotency-key"));
        cases.add(post("transfer: as text/plain", TRANSFERS, transfer()).with("Content-Type", "text/plain")
                .is(415, "unsupported-media-type"));
        cases.add(post("transfer: without Content-Type", TRANSFERS, transfer()).without("Content-Type")
                .is(415, "unsupported-media-type"));

        // Well-formed transfers the ledger refuses: stored answers, but no event and no transfer row.
        cases.add(post("transfer: to the same account", TRANSFERS, transfer("toAccountId", "\"{a}\"")).is(422,
                "same-account"));
        cases.add(post("transfer: from an unknown account", TRANSFERS, transfer("fromAccountId", "\"{new}\""))
                .is(404, "account-not-found"));
        cases.add(post("transfer: to an unknown account", TRANSFERS, transfer("toAccountId", "\"{new}\""))
                .is(404, "account-not-found"));
        cases.add(post("transfer: in USD between EUR accounts", TRANSFERS, transfer("currency", "\"USD\""))
                .is(422, "currency-mismatch"));
        cases.add(post("transfer: to a USD account", TRANSFERS, transfer("toAccountId", "\"{usd}\"")).is(422,
                "currency-mismatch"));
        cases.add(post("transfer: beyond the balance", TRANSFERS, transfer("amount", "501")).is(422,
                "insufficient-funds"));
        cases.add(post("transfer: with the id of an existing transfer", TRANSFERS, transfer("transferId",
                "\"{t}\"")).is(409, "transfer-exists"));

        // GET /api/v1/transfers/{id}.
        for (String[] id : new String[][] {{"65 characters", "a".repeat(65)}, {"a dot", "a.b"},
                {"an encoded space", "a%20b"}, {"an encoded quote and semicolon", "%27%3B--"},
                {"an encoded SQL fragment", "%27%20OR%201%3D1--"}, {"encoded dots", "%2e%2e"},
                {"a plus", "a+b"}, {"an encoded non-ASCII letter", "konto-%C3%A9"}, {"an encoded percent", "%25"}}) {
            cases.add(get("GET of a transfer whose id has " + id[0], TRANSFERS + "/" + id[1]).is(400,
                    "validation-failed"));
        }
        for (String[] id : new String[][] {{"an encoded slash", "a%2Fb"}, {"an encoded backslash", "a%5Cb"},
                {"an encoded NUL", "a%00b"}, {"an encoded traversal", "..%2F..%2Fetc%2Fpasswd"}}) {
            cases.add(get("GET of a transfer whose id has " + id[0], TRANSFERS + "/" + id[1]).is(400,
                    "malformed-request"));
        }
        cases.add(get("GET of an unknown transfer", TRANSFERS + "/{new}").is(404, "transfer-not-found"));
        cases.add(get("GET of an account id as a transfer", TRANSFERS + "/{a}").is(404, "transfer-not-found"));
        cases.add(get("GET of a transfer's sub-resource", TRANSFERS + "/{t}/legs").is(404, "not-found"));
        cases.add(get("GET of the transfer collection", TRANSFERS).is(405, "method-not-allowed"));
        cases.add(request("DELETE of a transfer", "DELETE", TRANSFERS + "/{t}", null).is(405,
                "method-not-allowed"));
        cases.add(request("PUT of a transfer", "PUT", TRANSFERS + "/{t}", transfer()).with("Content-Type", JSON)
                .is(405, "method-not-allowed"));
        cases.add(post("POST to a transfer", TRANSFERS + "/{t}", transfer()).is(405, "method-not-allowed"));

        // GET /api/v1/events: query parameters.
        for (String[] query : new String[][] {{"afterPosition -1", "afterPosition=-1"},
                {"afterPosition abc", "afterPosition=abc"}, {"afterPosition 1.5", "afterPosition=1.5"},
                {"an empty afterPosition", "afterPosition="}, {"afterPosition beyond a long",
                "afterPosition=99999999999999999999"}, {"afterPosition +1", "afterPosition=%2B1"},
                {"afterPosition 0x10", "afterPosition=0x10"}, {"afterPosition with SQL",
                "afterPosition=0%3B%20select%201"}, {"limit 0", "limit=0"}, {"limit 1001", "limit=1001"},
                {"limit x", "limit=x"}, {"limit -5", "limit=-5"}, {"limit 1e2", "limit=1e2"},
                {"an empty limit", "limit="}}) {
            cases.add(get("the feed with " + query[0], FEED + "?" + query[1]).is(400, "validation-failed"));
        }
        cases.add(post("POST to the feed", FEED, "{}").is(405, "method-not-allowed"));

        // POST /api/v1/reconciliations: the body must be exactly an empty object.
        cases.add(post("reconciliation: an unknown member", RECONCILIATIONS, "{\"dryRun\":true}").is(400,
                "validation-failed"));
        cases.add(post("reconciliation: an account filter", RECONCILIATIONS, "{\"accountId\":\"{a}\"}").is(400,
                "validation-failed"));
        cases.add(post("reconciliation: an array", RECONCILIATIONS, "[]").is(400, "validation-failed"));
        cases.add(post("reconciliation: a string", RECONCILIATIONS, "\"all\"").is(400, "validation-failed"));
        cases.add(post("reconciliation: a number", RECONCILIATIONS, "1").is(400, "validation-failed"));
        cases.add(post("reconciliation: a boolean", RECONCILIATIONS, "true").is(400, "validation-failed"));
        cases.add(post("reconciliation: null", RECONCILIATIONS, "null").is(400, "malformed-request"));
        cases.add(post("reconciliation: an empty body", RECONCILIATIONS, "").is(400, "malformed-request"));
        cases.add(post("reconciliation: truncated JSON", RECONCILIATIONS, "{").is(400, "malformed-request"));
        cases.add(post("reconciliation: trailing tokens", RECONCILIATIONS, "{}{}").is(400, "malformed-request"));
        cases.add(post("reconciliation: nested 3000 deep", RECONCILIATIONS,
                "{\"x\":" + "[".repeat(3000) + "]".repeat(3000) + "}").is(400, "malformed-request"));
        cases.add(post("reconciliation: a 17 KiB body", RECONCILIATIONS,
                "{\"x\":\"" + "r".repeat(17 * 1024) + "\"}").is(413, "payload-too-large"));
        cases.add(post("reconciliation: as text/plain", RECONCILIATIONS, "{}").with("Content-Type", "text/plain")
                .is(415, "unsupported-media-type"));
        cases.add(post("reconciliation: without Idempotency-Key", RECONCILIATIONS, "{}")
                .without("Idempotency-Key").is(400, "missing-idempotency-key"));
        cases.add(post("reconciliation: a 256-character Idempotency-Key", RECONCILIATIONS, "{}")
                .with("Idempotency-Key", "k".repeat(256)).is(400, "missing-idempotency-key"));
        cases.add(get("GET of reconciliations", RECONCILIATIONS).is(405, "method-not-allowed"));

        // Admin endpoints with bad ids.
        for (String[] id : new String[][] {{"65 characters", "a".repeat(65)}, {"a dot", "a.b"},
                {"an encoded space", "a%20b"}, {"an encoded SQL fragment", "%27%20OR%201%3D1--"},
                {"encoded dots", "%2e%2e"}, {"a plus", "a+b"}}) {
            cases.add(admin("retry of a dead letter whose id has " + id[0], String.format(RETRY, id[1])).is(400,
                    "validation-failed"));
        }
        cases.add(admin("retry of a dead letter whose id has an encoded slash", String.format(RETRY, "a%2Fb"))
                .is(400, "malformed-request"));
        cases.add(admin("retry of a dead letter whose id has an encoded NUL", String.format(RETRY, "a%00b"))
                .is(400, "malformed-request"));
        cases.add(admin("retry of an account that is not parked", String.format(RETRY, "{a}")).is(404,
                "not-found"));
        cases.add(admin("retry of an unknown account", String.format(RETRY, "{new}")).is(404, "not-found"));
        cases.add(get("GET of one dead letter", "/api/v1/admin/dead-letters/{a}").is(404, "not-found"));
        cases.add(get("GET of a dead letter retry", String.format(RETRY, "{a}")).is(405, "method-not-allowed"));
        cases.add(admin("POST to the dead-letter list", "/api/v1/admin/dead-letters").is(405,
                "method-not-allowed"));
        cases.add(request("DELETE of the rebuild", "DELETE", "/api/v1/admin/read-models/rebuild", null).is(405,
                "method-not-allowed"));
        cases.add(admin("POST of a rebuild of one read model", "/api/v1/admin/read-models/rebuild/{a}").is(404,
                "not-found"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostileRequests")
    void a_hostile_request_gets_a_problem_with_the_contract_code_and_writes_nothing(Case hostile) {
        String newId = unique("never");
        String key = unique("hostile-key");
        Map<String, String> values = new LinkedHashMap<>(fixtures);
        values.put("{new}", newId);
        values.put("{key}", key);
        Map<String, Long> versions = new LinkedHashMap<>();
        for (String account : List.of("{a}", "{b}", "{usd}")) {
            versions.put(account, LedgerTables.events(fixtures.get(account)));
        }
        LedgerTables.Written before = LedgerTables.written(key);

        Reply reply = ledger.send(hostile.request(ledger.uri("/"), values));

        assertThat(reply.status()).as("status of %s: %s", hostile, abbreviated(reply.body())).isEqualTo(hostile.status);
        assertThat(reply.header("Content-Type")).as("content type of %s", hostile)
                .startsWith("application/problem+json");
        JsonNode problem = reply.json();
        assertThat(problem.path("code").asText()).as("code of %s: %s", hostile, reply.body()).isEqualTo(hostile.code);
        assertThat(problem.path("status").asInt()).as("status member").isEqualTo(hostile.status);
        assertThat(problem.path("type").asText()).isEqualTo("urn:ledger:problem:" + hostile.code);
        assertThat(problem.path("title").asText()).isNotBlank();
        assertThat(problem.path("detail").asText()).isNotBlank();
        String body = reply.body().toLowerCase(Locale.ROOT);
        assertThat(LEAKS).as("internals in %s", reply.body()).noneMatch(body::contains);

        LedgerTables.Written after = LedgerTables.written(key);
        assertThat(after.events()).as("events written").isEqualTo(before.events());
        assertThat(after.transfers()).as("transfer rows written").isEqualTo(before.transfers());
        assertThat(after.inboxRowsForKey()).as("answers stored for the key")
                .isEqualTo(hostile.isStoredRefusal() ? 1 : 0);
        versions.forEach((account, events) -> assertThat(LedgerTables.events(fixtures.get(account)))
                .as("events of fixture account %s", account).isEqualTo(events));
        assertThat(LedgerTables.events(newId)).as("events of an account that must not exist").isZero();
    }

    /** The valid transfer of 100 EUR from {a} to {b}, as JSON. */
    private static String transfer() {
        return "{\"fromAccountId\":\"{a}\",\"toAccountId\":\"{b}\",\"amount\":100,\"currency\":\"EUR\"}";
    }

    /** The valid transfer with one member set to the given JSON text (added when it is not a member). */
    private static String transfer(String field, String json) {
        Map<String, String> members = members();
        members.put(field, json);
        return render(members);
    }

    private static String transferWithout(String field) {
        Map<String, String> members = members();
        members.remove(field);
        return render(members);
    }

    private static Map<String, String> members() {
        Map<String, String> members = new LinkedHashMap<>();
        members.put("fromAccountId", "\"{a}\"");
        members.put("toAccountId", "\"{b}\"");
        members.put("amount", "100");
        members.put("currency", "\"EUR\"");
        return members;
    }

    private static String render(Map<String, String> members) {
        StringBuilder json = new StringBuilder("{");
        members.forEach((name, value) -> json.append(json.length() > 1 ? "," : "").append('"').append(name)
                .append("\":").append(value));
        return json.append('}').toString();
    }

    private static String abbreviated(String body) {
        return body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }

    private static Case post(String name, String path, String body) {
        return request(name, "POST", path, body).with("Content-Type", JSON).with("Idempotency-Key", "{key}");
    }

    /** An admin POST without a body, as the admin endpoints take. */
    private static Case admin(String name, String path) {
        return request(name, "POST", path, null);
    }

    private static Case get(String name, String path) {
        return request(name, "GET", path, null);
    }

    private static Case request(String name, String method, String path, String body) {
        return new Case(name, method, path, new LinkedHashMap<>(), body, false, 0, null);
    }

    /** One hostile request and the answer the contract demands for it. */
    record Case(String name, String method, String path, Map<String, String> headers, String body,
                boolean isChunked, int status, String code) {

        Case with(String header, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(header, value);
            return new Case(name, method, path, more, body, isChunked, status, code);
        }

        Case without(String header) {
            Map<String, String> fewer = new LinkedHashMap<>(headers);
            fewer.remove(header);
            return new Case(name, method, path, fewer, body, isChunked, status, code);
        }

        Case chunked() {
            return new Case(name, method, path, headers, body, true, status, code);
        }

        Case is(int expectedStatus, String expectedCode) {
            return new Case(name, method, path, headers, body, isChunked, expectedStatus, expectedCode);
        }

        /** A refusal that depends on the ledger's state is an answer, stored for replay like a success. */
        boolean isStoredRefusal() {
            return method.equals("POST") && headers.containsKey("Idempotency-Key")
                    && (status == 409 || status == 422 || code.equals("account-not-found"));
        }

        HttpRequest.Builder request(URI root, Map<String, String> values) {
            HttpRequest.BodyPublisher publisher = HttpRequest.BodyPublishers.noBody();
            if (body != null) {
                byte[] bytes = fill(body, values).getBytes(StandardCharsets.UTF_8);
                publisher = isChunked
                        ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(bytes))
                        : HttpRequest.BodyPublishers.ofByteArray(bytes);
            }
            HttpRequest.Builder builder = HttpRequest.newBuilder(root.resolve(fill(path, values)))
                    .method(method, publisher);
            headers.forEach((name, value) -> builder.header(name, fill(value, values)));
            return builder;
        }

        private static String fill(String text, Map<String, String> values) {
            String filled = text;
            for (Map.Entry<String, String> value : values.entrySet()) {
                filled = filled.replace(value.getKey(), value.getValue());
            }
            return filled;
        }

        @Override
        public String toString() {
            return name;
        }
    }
}
