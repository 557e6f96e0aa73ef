package dev.ledger.api.problem;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.TestDatabase;
import java.net.http.HttpRequest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves that every bad request to the account endpoints is answered with an RFC 9457 problem
 * carrying the contract's status and code, leaks no stack trace, SQL or class name, and writes nothing.
 */
class ErrorResponsesTest extends IntegrationTest {

    private static final String ACCOUNTS = "/api/v1/accounts";
    private static final String ACCOUNT = ACCOUNTS + "/{account}";
    private static final String DEPOSITS = ACCOUNT + "/deposits";
    private static final String WITHDRAWALS = ACCOUNT + "/withdrawals";
    private static final String EVENTS = ACCOUNT + "/events";
    private static final String JSON = "application/json";

    /** The fixture account every case aims at: EUR, balance 500, version 2. */
    private static String account;

    /** Text that would betray internals: stack frames, SQL, Java class or package names. */
    private static final List<String> LEAKS = List.of("exception", "at dev.", "org.", "java.", "javax.",
            "jakarta.", "com.fasterxml", "select ", "insert ", "update ", "delete from", "sqlstate", "hibernate",
            "axon", "jackson", "tomcat", "<html", "stack", "trace");

    @BeforeEach
    void openTheTargetAccountOnce() {
        if (account == null) {
            String id = unique("errors");
            assertThat(ledger.openAccount(id, "EUR", 0).status()).isEqualTo(201);
            assertThat(ledger.deposit(id, 500, "EUR").status()).isEqualTo(201);
            account = id;
        }
    }

    static Stream<Case> badRequests() {
        List<Case> cases = new ArrayList<>();

        // Bodies that are not JSON objects, on all three writes.
        for (String path : List.of(ACCOUNTS, DEPOSITS, WITHDRAWALS)) {
            String on = " on " + path.substring(path.lastIndexOf('/') + 1);
            cases.add(post("malformed JSON" + on, path, "{\"currency\" \"EUR\"}").is(400, "malformed-request"));
            cases.add(post("truncated JSON" + on, path, "{\"amount\":100,\"currency\":\"EU").is(400,
                    "malformed-request"));
            cases.add(post("an empty body" + on, path, "").is(400, "malformed-request"));
            cases.add(post("a JSON array as body" + on, path, "[{\"amount\":100,\"currency\":\"EUR\"}]").is(400,
                    "validation-failed"));
            cases.add(post("a JSON string as body" + on, path, "\"EUR\"").is(400, "validation-failed"));
            cases.add(post("a JSON number as body" + on, path, "100").is(400, "validation-failed"));
            cases.add(post("null as body" + on, path, "null").is(400, "malformed-request"));
        }
        cases.add(post("trailing tokens after the object", DEPOSITS, "{\"amount\":1,\"currency\":\"EUR\"} {}")
                .is(400, "malformed-request"));
        cases.add(post("a comment in the JSON", DEPOSITS, "{\"amount\":1, /* x */ \"currency\":\"EUR\"}")
                .is(400, "malformed-request"));
        cases.add(post("single-quoted JSON", DEPOSITS, "{'amount':1,'currency':'EUR'}").is(400, "malformed-request"));

        // Amounts: only a JSON integer from 1 to 10^15.
        for (String path : List.of(DEPOSITS, WITHDRAWALS)) {
            String on = path.endsWith("deposits") ? " deposited" : " withdrawn";
            cases.add(post("the float 10.5" + on, path, money("10.5")).is(400, "validation-failed"));
            cases.add(post("the exponent 1e3" + on, path, money("1e3")).is(400, "validation-failed"));
            cases.add(post("the float 10.0" + on, path, money("10.0")).is(400, "validation-failed"));
            cases.add(post("the string \"100\"" + on, path, money("\"100\"")).is(400, "validation-failed"));
            cases.add(post("a boolean amount" + on, path, money("true")).is(400, "validation-failed"));
            cases.add(post("a null amount" + on, path, money("null")).is(400, "validation-failed"));
            cases.add(post("a missing amount" + on, path, "{\"currency\":\"EUR\"}").is(400, "validation-failed"));
            cases.add(post("a zero amount" + on, path, money("0")).is(400, "validation-failed"));
            cases.add(post("a negative amount" + on, path, money("-1")).is(400, "validation-failed"));
            cases.add(post("10^15 + 1" + on, path, money("1000000000000001")).is(400, "validation-failed"));
        }
        cases.add(post("2^63 deposited", DEPOSITS, money("9223372036854775808")).is(400, "validation-failed"));
        cases.add(post("-2^63 - 1 deposited", DEPOSITS, money("-9223372036854775809")).is(400, "validation-failed"));
        cases.add(post("a 100-digit amount deposited", DEPOSITS, money("1".repeat(100))).is(400,
                "malformed-request"));
        cases.add(post("an unquoted NaN deposited", DEPOSITS, money("NaN")).is(400, "malformed-request"));
        cases.add(post("an unquoted Infinity deposited", DEPOSITS, money("Infinity")).is(400, "malformed-request"));
        cases.add(post("a hexadecimal amount deposited", DEPOSITS, money("0x10")).is(400, "malformed-request"));
        cases.add(post("a leading-zero amount deposited", DEPOSITS, money("0100")).is(400, "malformed-request"));
        cases.add(post("an object amount deposited", DEPOSITS, money("{\"value\":100}")).is(400,
                "validation-failed"));
        cases.add(post("duplicate amount keys", DEPOSITS, "{\"amount\":1,\"amount\":2,\"currency\":\"EUR\"}").is(400,
                "malformed-request"));
        cases.add(post("an unknown field in a deposit", DEPOSITS, "{\"amount\":1,\"currency\":\"EUR\",\"fee\":0}")
                .is(400, "validation-failed"));

        // Currencies: ISO 4217 alpha-3, upper case, known.
        for (String[] currency : new String[][] {{"eur", "\"eur\""}, {"EURO", "\"EURO\""}, {"XYZ", "\"XYZ\""},
                {"123", "123"}, {"an empty string", "\"\""}}) {
            cases.add(post("currency " + currency[0] + " deposited", DEPOSITS,
                    "{\"amount\":100,\"currency\":" + currency[1] + "}").is(400, "validation-failed"));
        }
        cases.add(post("a missing currency in a deposit", DEPOSITS, "{\"amount\":100}").is(400,
                "validation-failed"));

        // References: at most 140 characters, no control characters.
        cases.add(post("a 141-character reference", DEPOSITS,
                "{\"amount\":100,\"currency\":\"EUR\",\"reference\":\"" + "r".repeat(141) + "\"}").is(400,
                "validation-failed"));
        cases.add(post("a reference with a control character", DEPOSITS,
                "{\"amount\":100,\"currency\":\"EUR\",\"reference\":\"pay\\u0007day\"}").is(400,
                "validation-failed"));
        cases.add(post("a reference with a raw newline", DEPOSITS,
                "{\"amount\":100,\"currency\":\"EUR\",\"reference\":\"pay\nday\"}").is(400, "malformed-request"));
        cases.add(post("a numeric reference", DEPOSITS, "{\"amount\":100,\"currency\":\"EUR\",\"reference\":7}")
                .is(400, "validation-failed"));

        // Opening accounts.
        cases.add(post("currency eur for a new account", ACCOUNTS, open("\"eur\"", null)).is(400,
                "validation-failed"));
        cases.add(post("currency EURO for a new account", ACCOUNTS, open("\"EURO\"", null)).is(400,
                "validation-failed"));
        cases.add(post("currency XYZ for a new account", ACCOUNTS, open("\"XYZ\"", null)).is(400,
                "validation-failed"));
        cases.add(post("currency 123 for a new account", ACCOUNTS, open("123", null)).is(400, "validation-failed"));
        cases.add(post("a missing currency for a new account", ACCOUNTS, "{\"accountId\":\"{new}\"}").is(400,
                "validation-failed"));
        cases.add(post("overdraftLimit -1", ACCOUNTS, open("\"EUR\"", "-1")).is(400, "validation-failed"));
        cases.add(post("overdraftLimit 1.5", ACCOUNTS, open("\"EUR\"", "1.5")).is(400, "validation-failed"));
        cases.add(post("overdraftLimit \"x\"", ACCOUNTS, open("\"EUR\"", "\"x\"")).is(400, "validation-failed"));
        cases.add(post("overdraftLimit 10^15 + 1", ACCOUNTS, open("\"EUR\"", "1000000000000001")).is(400,
                "validation-failed"));
        cases.add(post("an unknown field for a new account", ACCOUNTS,
                "{\"accountId\":\"{new}\",\"currency\":\"EUR\",\"balance\":1000000}").is(400, "validation-failed"));
        for (String[] id : new String[][] {{"65 characters", "a".repeat(65)}, {"a slash", "a/b"},
                {"a space", "a b"}, {"an SQL injection", "' OR 1=1 --"}, {"nothing", ""}, {"a dot", "a.b"},
                {"a non-ASCII letter", "konto-\u00e9"}}) {
            cases.add(post("a body accountId with " + id[0], ACCOUNTS,
                    "{\"accountId\":\"" + id[1].replace("\"", "\\\"") + "\",\"currency\":\"EUR\"}").is(400,
                    "validation-failed"));
        }
        cases.add(post("a numeric body accountId", ACCOUNTS, "{\"accountId\":42,\"currency\":\"EUR\"}").is(400,
                "validation-failed"));
        cases.add(post("an account id that exists", ACCOUNTS, "{\"accountId\":\"{account}\",\"currency\":\"EUR\"}")
                .is(409, "account-exists"));

        // Account ids in the path.
        for (String[] id : new String[][] {{"65 characters", "a".repeat(65)}, {"a dot", "a.b"},
                {"an encoded space", "a%20b"}, {"an encoded quote and semicolon", "%27%3B--"},
                {"an encoded percent", "%25"}, {"an encoded non-ASCII letter", "konto-%C3%A9"},
                {"a plus", "a+b"}, {"a tilde", "a~b"}}) {
            cases.add(get("GET of an account whose id has " + id[0], ACCOUNTS + "/" + id[1]).is(400,
                    "validation-failed"));
            cases.add(post("a deposit to an account whose id has " + id[0], ACCOUNTS + "/" + id[1] + "/deposits",
                    money("100")).is(400, "validation-failed"));
        }
        cases.add(get("GET of the events of an account whose id has 65 characters",
                ACCOUNTS + "/" + "a".repeat(65) + "/events").is(400, "validation-failed"));
        cases.add(post("a withdrawal from an account whose id has an encoded space", ACCOUNTS + "/a%20b/withdrawals",
                money("100")).is(400, "validation-failed"));
        // Encoded slashes, backslashes and NUL bytes are refused by the servlet container, before Spring.
        cases.add(get("GET of an account whose id has an encoded backslash", ACCOUNTS + "/a%5Cb").is(400,
                "malformed-request"));
        cases.add(post("a deposit to an account whose id has an encoded backslash", ACCOUNTS + "/a%5Cb/deposits",
                money("100")).is(400, "malformed-request"));
        cases.add(get("GET of an account whose id has an encoded slash", ACCOUNTS + "/a%2Fb").is(400,
                "malformed-request"));
        cases.add(post("a deposit to an account whose id has an encoded slash", ACCOUNTS + "/a%2Fb/deposits",
                money("100")).is(400, "malformed-request"));
        cases.add(get("GET of an account whose id has an encoded NUL", ACCOUNTS + "/a%00b").is(400,
                "malformed-request"));
        cases.add(get("GET of an account with an empty id", ACCOUNTS + "/").is(404, "not-found"));
        cases.add(get("GET of an account id of encoded dots", ACCOUNTS + "/%2e%2e").is(400, "validation-failed"));
        // Request lines and headers no HTTP client library would send, written to the socket as they are.
        cases.add(raw("a request target with a raw pipe", "GET " + ACCOUNTS + "/a|b HTTP/1.1").is(400,
                "malformed-request"));
        cases.add(raw("a request target with a raw brace", "GET " + ACCOUNTS + "/{x} HTTP/1.1").is(400,
                "malformed-request"));
        cases.add(raw("a request target with a bad percent escape", "GET " + ACCOUNTS + "/a%zz HTTP/1.1").is(400,
                "malformed-request"));
        cases.add(raw("a request target with an encoded slash, raw", "GET " + ACCOUNTS + "/a%2fb/events HTTP/1.1")
                .is(400, "malformed-request"));
        cases.add(raw("a method name with a bracket", "GE(T " + ACCOUNT + " HTTP/1.1").is(400, "malformed-request"));
        cases.add(raw("a header larger than the container takes", "GET " + ACCOUNT + " HTTP/1.1\r\nX-Padding: "
                + "p".repeat(20_000)).is(400, "malformed-request"));

        // Query parameters.
        cases.add(get("afterVersion -1", EVENTS + "?afterVersion=-1").is(400, "validation-failed"));
        cases.add(get("afterVersion abc", EVENTS + "?afterVersion=abc").is(400, "validation-failed"));
        cases.add(get("afterVersion 1.5", EVENTS + "?afterVersion=1.5").is(400, "validation-failed"));
        cases.add(get("afterVersion beyond a long", EVENTS + "?afterVersion=99999999999999999999").is(400,
                "validation-failed"));
        cases.add(get("an empty afterVersion", EVENTS + "?afterVersion=").is(400, "validation-failed"));
        cases.add(get("limit 0", EVENTS + "?limit=0").is(400, "validation-failed"));
        cases.add(get("limit 1001", EVENTS + "?limit=1001").is(400, "validation-failed"));
        cases.add(get("limit x", EVENTS + "?limit=x").is(400, "validation-failed"));
        cases.add(get("limit -5", EVENTS + "?limit=-5").is(400, "validation-failed"));
        cases.add(get("minVersion -1", ACCOUNT + "?minVersion=-1").is(400, "validation-failed"));
        cases.add(get("minVersion x", ACCOUNT + "?minVersion=x").is(400, "validation-failed"));

        // Headers.
        cases.add(post("a deposit without Idempotency-Key", DEPOSITS, money("100")).without("Idempotency-Key")
                .is(400, "missing-idempotency-key"));
        cases.add(post("an account without Idempotency-Key", ACCOUNTS, open("\"EUR\"", null))
                .without("Idempotency-Key").is(400, "missing-idempotency-key"));
        cases.add(post("a 256-character Idempotency-Key", DEPOSITS, money("100"))
                .with("Idempotency-Key", "k".repeat(256)).is(400, "missing-idempotency-key"));
        cases.add(post("a blank Idempotency-Key", DEPOSITS, money("100")).with("Idempotency-Key", " ")
                .is(400, "missing-idempotency-key"));
        cases.add(post("an unquoted If-Match", DEPOSITS, money("100")).with("If-Match", "2").is(400,
                "validation-failed"));
        cases.add(post("a non-numeric If-Match", WITHDRAWALS, money("100")).with("If-Match", "\"two\"").is(400,
                "validation-failed"));
        cases.add(post("a deposit as text/plain", DEPOSITS, money("100")).with("Content-Type", "text/plain")
                .is(415, "unsupported-media-type"));
        cases.add(post("an account as XML", ACCOUNTS, "<account><currency>EUR</currency></account>")
                .with("Content-Type", "application/xml").is(415, "unsupported-media-type"));
        cases.add(post("a withdrawal as a form", WITHDRAWALS, "amount=100&currency=EUR")
                .with("Content-Type", "application/x-www-form-urlencoded").is(415, "unsupported-media-type"));
        cases.add(post("a deposit without Content-Type", DEPOSITS, money("100")).without("Content-Type").is(415,
                "unsupported-media-type"));

        cases.add(get("GET of an account accepting only XML", ACCOUNT).with("Accept", "application/xml").is(406,
                "unsupported-media-type"));
        cases.add(post("a deposit of a megabyte", DEPOSITS, "{\"amount\":100,\"currency\":\"EUR\",\"reference\":\""
                + "r".repeat(1 << 20) + "\"}").is(413, "payload-too-large"));
        cases.add(raw("a chunked deposit of a megabyte", "POST " + DEPOSITS + " HTTP/1.1\r\n"
                + "Content-Type: application/json\r\nIdempotency-Key: chunked-{new}\r\nTransfer-Encoding: chunked"
                + "\r\n\r\n" + chunked("{\"amount\":100,\"currency\":\"EUR\",\"reference\":\"" + "r".repeat(1 << 20)
                + "\"}")).is(413, "payload-too-large"));

        // Routes and methods.
        cases.add(get("GET of an unknown route", "/api/v1/nothing-here").is(404, "not-found"));
        cases.add(get("GET of an unknown account sub-resource", ACCOUNT + "/statements").is(404, "not-found"));
        cases.add(get("GET of the root", "/").is(404, "not-found"));
        cases.add(post("POST to an unknown route", "/api/v1/payments", money("100")).is(404, "not-found"));
        cases.add(request("DELETE of an account", "DELETE", ACCOUNT, null).is(405, "method-not-allowed"));
        cases.add(request("PUT of an account", "PUT", ACCOUNT, "{\"currency\":\"EUR\"}").is(405,
                "method-not-allowed"));
        cases.add(request("PATCH of an account", "PATCH", ACCOUNT, "{\"balance\":1}").is(405,
                "method-not-allowed"));
        cases.add(get("GET of deposits", DEPOSITS).is(405, "method-not-allowed"));
        cases.add(get("GET of withdrawals", WITHDRAWALS).is(405, "method-not-allowed"));
        cases.add(request("DELETE of a deposit", "DELETE", DEPOSITS, null).is(405, "method-not-allowed"));
        cases.add(post("POST to an account", ACCOUNT, money("100")).is(405, "method-not-allowed"));

        // Well-formed requests the ledger refuses.
        cases.add(get("GET of an unknown account", ACCOUNTS + "/{new}").is(404, "account-not-found"));
        cases.add(get("GET of the events of an unknown account", ACCOUNTS + "/{new}/events").is(404,
                "account-not-found"));
        cases.add(post("a deposit to an unknown account", ACCOUNTS + "/{new}/deposits", money("100")).is(404,
                "account-not-found"));
        cases.add(post("a withdrawal from an unknown account", ACCOUNTS + "/{new}/withdrawals", money("100"))
                .is(404, "account-not-found"));
        cases.add(post("a USD deposit to a EUR account", DEPOSITS, "{\"amount\":100,\"currency\":\"USD\"}").is(422,
                "currency-mismatch"));
        cases.add(post("a USD withdrawal from a EUR account", WITHDRAWALS, "{\"amount\":100,\"currency\":\"USD\"}")
                .is(422, "currency-mismatch"));
        cases.add(post("a withdrawal beyond the balance", WITHDRAWALS, money("501")).is(422, "insufficient-funds"));
        cases.add(post("a deposit at a stale version", DEPOSITS, money("100")).with("If-Match", "\"1\"").is(412,
                "version-conflict"));
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void a_bad_request_gets_a_problem_with_the_contract_code_and_writes_nothing(Case bad) throws SQLException {
        String newId = unique("never");
        long versionBefore = version(account);
        Counts before = Counts.now();

        Reply reply = bad.isRaw()
                ? RawHttp.send(ledger.uri("/"), bad.body.replace("{account}", account).replace("{new}", newId))
                : ledger.send(bad.request(ledger.uri(bad.path(account, newId)), account, newId));

        assertThat(reply.status()).as("status of %s: %s", bad, reply.body()).isEqualTo(bad.status);
        assertThat(reply.header("Content-Type")).as("content type of %s: %s", bad, reply.body())
                .startsWith("application/problem+json");
        JsonNode problem = reply.json();
        assertThat(problem.path("code").asText()).as("code of %s: %s", bad, reply.body()).isEqualTo(bad.code);
        assertThat(problem.path("status").asInt()).as("status member").isEqualTo(bad.status);
        assertThat(problem.path("type").asText()).isEqualTo("urn:ledger:problem:" + bad.code);
        assertThat(problem.path("title").asText()).isNotBlank();
        assertThat(problem.path("detail").asText()).isNotBlank();
        String body = reply.body().toLowerCase(Locale.ROOT);
        assertThat(LEAKS).as("internals in %s", reply.body()).noneMatch(body::contains);

        assertThat(version(account)).as("version of the target account").isEqualTo(versionBefore);
        assertThat(ledger.account(newId).status()).as("an account that must not exist").isEqualTo(404);
        Counts after = Counts.now();
        assertThat(after.events).as("events written").isEqualTo(before.events);
        assertThat(after.answers).as("idempotent answers stored")
                .isEqualTo(before.answers + (bad.isStoredRefusal() ? 1 : 0));
    }

    private long version(String accountId) {
        Reply reply = ledger.account(accountId);
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        return reply.json().get("version").asLong();
    }

    /** The body in HTTP/1.1 chunks of 8 KiB, with the closing empty chunk. */
    private static String chunked(String body) {
        StringBuilder chunks = new StringBuilder();
        for (int at = 0; at < body.length(); at += 8192) {
            String chunk = body.substring(at, Math.min(body.length(), at + 8192));
            chunks.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        }
        return chunks.append("0\r\n\r\n").toString();
    }

    private static String money(String amount) {
        return "{\"amount\":" + amount + ",\"currency\":\"EUR\"}";
    }

    private static String open(String currency, String overdraftLimit) {
        return "{\"accountId\":\"{new}\",\"currency\":" + currency
                + (overdraftLimit == null ? "" : ",\"overdraftLimit\":" + overdraftLimit) + "}";
    }

    private static Case post(String name, String path, String body) {
        return request(name, "POST", path, body).with("Content-Type", JSON).with("Idempotency-Key", "{key}");
    }

    /** A request written to the socket as it is: a request line and headers, without the blank line. */
    private static Case raw(String name, String head) {
        return new Case(name, "RAW", null, Map.of(), head, 0, null);
    }

    private static Case get(String name, String path) {
        return request(name, "GET", path, null);
    }

    private static Case request(String name, String method, String path, String body) {
        return new Case(name, method, path, new LinkedHashMap<>(), body, 0, null);
    }

    /** One bad request and the answer the contract demands for it. */
    record Case(String name, String method, String path, Map<String, String> headers, String body, int status,
                String code) {

        Case with(String header, String value) {
            Map<String, String> more = new LinkedHashMap<>(headers);
            more.put(header, value);
            return new Case(name, method, path, more, body, status, code);
        }

        Case without(String header) {
            Map<String, String> fewer = new LinkedHashMap<>(headers);
            fewer.remove(header);
            return new Case(name, method, path, fewer, body, status, code);
        }

        Case is(int expectedStatus, String expectedCode) {
            return new Case(name, method, path, headers, body, expectedStatus, expectedCode);
        }

        String path(String account, String newId) {
            return path.replace("{account}", account).replace("{new}", newId);
        }

        boolean isRaw() {
            return method.equals("RAW");
        }

        /** A refusal that depends on the ledger's state is an answer, stored for replay like a success. */
        boolean isStoredRefusal() {
            return method.equals("POST") && (status == 409 || status == 412 || status == 422
                    || code.equals("account-not-found"));
        }

        HttpRequest.Builder request(java.net.URI uri, String account, String newId) {
            HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body.replace("{account}", account).replace("{new}", newId));
            HttpRequest.Builder builder = HttpRequest.newBuilder(uri).method(method, publisher);
            headers.forEach((name, value) -> builder.header(name,
                    value.equals("{key}") ? UUID.randomUUID().toString() : value));
            return builder;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** What the ledger has written so far: events of every account, stored idempotent answers. */
    private record Counts(long events, long answers) {

        static Counts now() throws SQLException {
            try (Connection connection = TestDatabase.get().connect();
                 Statement statement = connection.createStatement()) {
                return new Counts(count(statement, "domain_event_entry"), count(statement, "idempotency_inbox"));
            }
        }

        private static long count(Statement statement, String table) throws SQLException {
            try (ResultSet rows = statement.executeQuery("select count(*) from " + table)) {
                rows.next();
                return rows.getLong(1);
            }
        }
    }
}
