package dev.ledger.api.security;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.infra.projection.ReadModelRebuild;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.TestKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Proves that every endpoint answers every credential as the role matrix demands: 401 unauthorized
 * with a challenge for a missing, unknown or malformed key, 403 forbidden for a role that may not,
 * the real answer otherwise, and that a refused write writes nothing.
 */
class RoleMatrixTest extends IntegrationTest {

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private static final Duration REBUILD_WAIT = Duration.ofSeconds(30);

    /** The status of an endpoint whose answer to an allowed caller may be anything but 401 or 403. */
    private static final int ANY_REAL_ANSWER = 0;

    /** The fixture accounts and transfer every case aims at: EUR, funded, with one transfer between them. */
    private static String account;
    private static String other;
    private static String transfer;

    @LocalServerPort
    private int port;

    @Autowired
    private ReadModelRebuild rebuild;

    @BeforeEach
    void openTheFixturesOnce() {
        if (account == null) {
            String from = unique("matrix");
            String to = unique("matrix");
            assertThat(ledger.openAccount(from, "EUR", 0).status()).isEqualTo(201);
            assertThat(ledger.openAccount(to, "EUR", 0).status()).isEqualTo(201);
            assertThat(ledger.deposit(from, 1_000_000, "EUR").status()).isEqualTo(201);
            Reply sent = ledger.post("/api/v1/transfers", "{\"fromAccountId\":\"" + from + "\",\"toAccountId\":\""
                    + to + "\",\"amount\":1,\"currency\":\"EUR\"}");
            assertThat(sent.status()).as(sent.body()).isEqualTo(201);
            transfer = sent.json().get("transferId").asText();
            other = to;
            account = from;
        }
    }

    /** Who may call an endpoint. */
    private enum Access { PUBLIC, EVERY_ROLE, PAYMENTS, ADMIN }

    /** What a request says about who sends it. */
    enum Credential {
        NO_KEY(null, null),
        UNKNOWN_KEY("Bearer an-unknown-but-well-formed-key-" + UUID.randomUUID(), null),
        BASIC_SCHEME("Basic x", null),
        BEARER_WITHOUT_KEY("Bearer", null),
        BEARER_WITH_600_CHARACTERS("Bearer " + "k".repeat(600), null),
        PAYMENTS("Bearer " + TestKeys.PAYMENTS, Role.PAYMENTS),
        AUDITOR("Bearer " + TestKeys.AUDITOR, Role.AUDITOR),
        ADMIN("Bearer " + TestKeys.ADMIN, Role.ADMIN);

        final String authorization;
        final Role role;

        Credential(String authorization, Role role) {
            this.authorization = authorization;
            this.role = role;
        }
    }

    /**
     * One endpoint: its request (placeholders {account}, {other}, {transfer}, {new}), who may call
     * it, and the status it answers those who may.
     */
    record Endpoint(String method, String path, String body, Access access, int status) {

        boolean allows(Credential credential) {
            return switch (access) {
                case PUBLIC -> true;
                case EVERY_ROLE -> credential.role != null;
                case PAYMENTS -> credential.role == Role.PAYMENTS;
                case ADMIN -> credential.role == Role.ADMIN;
            };
        }

        boolean writes() {
            return method.equals("POST");
        }

        @Override
        public String toString() {
            return method + " " + path;
        }
    }

    private static final List<Endpoint> ENDPOINTS = List.of(
            new Endpoint("POST", "/api/v1/accounts", "{\"accountId\":\"{new}\",\"currency\":\"EUR\"}",
                    Access.PAYMENTS, 201),
            new Endpoint("GET", "/api/v1/accounts/{account}", null, Access.EVERY_ROLE, 200),
            new Endpoint("GET", "/api/v1/accounts/{account}/events", null, Access.EVERY_ROLE, 200),
            new Endpoint("POST", "/api/v1/accounts/{account}/deposits", "{\"amount\":1,\"currency\":\"EUR\"}",
                    Access.PAYMENTS, 201),
            new Endpoint("POST", "/api/v1/accounts/{account}/withdrawals", "{\"amount\":1,\"currency\":\"EUR\"}",
                    Access.PAYMENTS, 201),
            new Endpoint("POST", "/api/v1/transfers", "{\"fromAccountId\":\"{account}\",\"toAccountId\":\"{other}\","
                    + "\"amount\":1,\"currency\":\"EUR\"}", Access.PAYMENTS, 201),
            new Endpoint("GET", "/api/v1/transfers/{transfer}", null, Access.EVERY_ROLE, 200),
            new Endpoint("GET", "/api/v1/events", null, Access.EVERY_ROLE, 200),
            new Endpoint("GET", "/api/v1/reports/balances", null, Access.EVERY_ROLE, 200),
            new Endpoint("POST", "/api/v1/reconciliations", "{}", Access.ADMIN, 200),
            new Endpoint("GET", "/api/v1/admin/dead-letters", null, Access.ADMIN, 200),
            // A well-formed account that is not parked: the admin gets the real answer, 404.
            new Endpoint("POST", "/api/v1/admin/dead-letters/{new}/retry", null, Access.ADMIN, 404),
            new Endpoint("POST", "/api/v1/admin/read-models/rebuild", null, Access.ADMIN, 202),
            new Endpoint("GET", "/api/v1/admin/read-models/rebuild", null, Access.ADMIN, 200),
            // Spring Boot's test support turns metrics export off in the shared test context, so the admin's
            // real answer here is whatever the endpoint gives; ConfiguredKeysTest, with a context started
            // as in production, proves the admin's 200 with the metrics.
            new Endpoint("GET", "/actuator/prometheus", null, Access.ADMIN, ANY_REAL_ANSWER),
            new Endpoint("GET", "/actuator/health", null, Access.PUBLIC, 200),
            new Endpoint("GET", "/v3/api-docs", null, Access.EVERY_ROLE, 200));

    record Case(Endpoint endpoint, Credential credential) {

        @Override
        public String toString() {
            return endpoint + " with " + credential.name().toLowerCase(Locale.ROOT).replace('_', ' ');
        }
    }

    static Stream<Case> matrix() {
        List<Case> cases = new ArrayList<>();
        for (Endpoint endpoint : ENDPOINTS) {
            for (Credential credential : Credential.values()) {
                cases.add(new Case(endpoint, credential));
            }
        }
        return cases.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("matrix")
    void every_endpoint_answers_every_credential_as_the_role_matrix_says(Case matrixCase) {
        Endpoint endpoint = matrixCase.endpoint();
        Credential credential = matrixCase.credential();
        String newId = unique("never");
        String idempotencyKey = unique("matrix-key");
        ReadModelRebuild.Status rebuildBefore = rebuild.status();
        long accountEvents = LedgerTables.events(account);
        long otherEvents = LedgerTables.events(other);
        LedgerTables.Written before = LedgerTables.written(idempotencyKey);

        Reply reply = send(endpoint, credential, newId, idempotencyKey);

        if (credential.role == null && endpoint.access() != Access.PUBLIC) {
            assertProblem(reply, 401, "unauthorized", matrixCase);
            assertThat(reply.header("WWW-Authenticate")).as("challenge of %s", matrixCase)
                    .isEqualTo("Bearer realm=\"ledger\"");
        } else if (!endpoint.allows(credential)) {
            assertProblem(reply, 403, "forbidden", matrixCase);
        } else {
            assertThat(reply.status()).as("%s: %s", matrixCase, abbreviated(reply.body())).isNotIn(401, 403);
            if (endpoint.status() != ANY_REAL_ANSWER) {
                assertThat(reply.status()).as("%s: %s", matrixCase, abbreviated(reply.body()))
                        .isEqualTo(endpoint.status());
            }
            if (endpoint.path().endsWith("/rebuild") && endpoint.writes()) {
                awaitRebuildFinished();
            }
        }

        if (endpoint.writes() && !endpoint.allows(credential)) {
            assertThat(LedgerTables.written(idempotencyKey)).as("rows after %s", matrixCase).isEqualTo(before);
            assertThat(LedgerTables.events(account)).as("events of the fixture account").isEqualTo(accountEvents);
            assertThat(LedgerTables.events(other)).as("events of the other account").isEqualTo(otherEvents);
            assertThat(LedgerTables.events(newId)).as("events of an account that must not exist").isZero();
            assertThat(rebuild.status()).as("rebuild status after %s", matrixCase).isEqualTo(rebuildBefore);
        }
    }

    private static void assertProblem(Reply reply, int status, String code, Case matrixCase) {
        assertThat(reply.status()).as("status of %s: %s", matrixCase, abbreviated(reply.body())).isEqualTo(status);
        assertThat(reply.header("Content-Type")).as("content type of %s", matrixCase)
                .startsWith("application/problem+json");
        JsonNode problem = reply.json();
        assertThat(problem.path("code").asText()).as("code of %s", matrixCase).isEqualTo(code);
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("type").asText()).isEqualTo("urn:ledger:problem:" + code);
        assertThat(problem.path("detail").asText()).isNotBlank();
        // The answer must not echo what was presented as a key.
        if (matrixCase.credential().authorization != null) {
            String presented = matrixCase.credential().authorization.replaceFirst("^\\S+\\s*", "");
            if (presented.length() > 3) {
                assertThat(reply.body()).doesNotContain(presented);
            }
        }
    }

    private Reply send(Endpoint endpoint, Credential credential, String newId, String idempotencyKey) {
        String path = endpoint.path().replace("{account}", account).replace("{other}", other)
                .replace("{transfer}", transfer).replace("{new}", newId);
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(LedgerClient.REQUEST_TIMEOUT);
        if (endpoint.writes()) {
            String body = endpoint.body() == null ? null
                    : endpoint.body().replace("{account}", account).replace("{other}", other).replace("{new}", newId);
            request.POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
                    .header("Idempotency-Key", idempotencyKey);
            if (body != null) {
                request.header("Content-Type", "application/json");
            }
        } else {
            request.GET();
        }
        if (credential.authorization != null) {
            request.header("Authorization", credential.authorization);
        }
        try {
            HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Reply(response.statusCode(), response.headers(), response.body());
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(interrupted);
        }
    }

    /** A rebuild the admin started must be over before the next case reads the read models. */
    private void awaitRebuildFinished() {
        long deadline = System.nanoTime() + REBUILD_WAIT.toNanos();
        while (rebuild.status().state() == ReadModelRebuild.State.RUNNING) {
            assertThat(deadline - System.nanoTime()).as("time left for the rebuild to finish (of %s)", REBUILD_WAIT)
                    .isPositive();
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
        assertThat(rebuild.status().state()).isEqualTo(ReadModelRebuild.State.SUCCEEDED);
    }

    private static String abbreviated(String body) {
        return body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }
}
