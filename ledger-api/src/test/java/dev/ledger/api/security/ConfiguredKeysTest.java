package dev.ledger.api.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.TestDatabase;
import dev.ledger.support.TestKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Proves that configured API keys replace the development keys and attribute requests to their
 * client ids, that the service refuses to start without keys under the prod profile or with a
 * malformed key entry, and that no API key ever reaches the logs.
 */
@ExtendWith(OutputCaptureExtension.class)
class ConfiguredKeysTest {

    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom RANDOM = new SecureRandom();

    private static final String PAYMENTS_CLIENT = "acme-payments";
    private static final String AUDITOR_CLIENT = "acme-audit";
    private static final String ADMIN_CLIENT = "acme-ops";
    private static final String PAYMENTS_KEY = secretKey();
    private static final String AUDITOR_KEY = secretKey();
    private static final String ADMIN_KEY = secretKey();

    private static ConfigurableApplicationContext application;
    private static String base;

    @BeforeAll
    static void startWithConfiguredKeys() {
        application = OwnApplication.start(
                "ledger.security.api-keys=" + PAYMENTS_CLIENT + ":payments:" + sha256Hex(PAYMENTS_KEY)
                        + "," + AUDITOR_CLIENT + ":auditor:" + sha256Hex(AUDITOR_KEY)
                        + "," + ADMIN_CLIENT + ":ADMIN:" + sha256Hex(ADMIN_KEY).toUpperCase());
        base = OwnApplication.baseUrl(application);
    }

    @AfterAll
    static void stop() {
        if (application != null) {
            application.close();
        }
    }

    @Test
    void a_configured_key_works_and_what_it_writes_is_attributed_to_its_client_id() throws Exception {
        String account = "configured-" + UUID.randomUUID();
        String key = "open-" + UUID.randomUUID();

        Reply opened = send(post("/api/v1/accounts", key, "{\"accountId\":\"" + account + "\",\"currency\":\"EUR\"}"),
                PAYMENTS_KEY);
        Reply deposited = send(post("/api/v1/accounts/" + account + "/deposits", "deposit-" + UUID.randomUUID(),
                "{\"amount\":700,\"currency\":\"EUR\"}"), PAYMENTS_KEY);

        assertThat(opened.status()).as(opened.body()).isEqualTo(201);
        assertThat(deposited.status()).as(deposited.body()).isEqualTo(201);
        assertThat(eventClients(account)).containsExactly(PAYMENTS_CLIENT, PAYMENTS_CLIENT);
        assertThat(LedgerTables.count("select count(*) from idempotency_inbox where client_id = ? and idempotency_key = ?",
                PAYMENTS_CLIENT, key)).isEqualTo(1);

        // The other configured roles hold: the auditor reads but may not write, the admin reads the metrics.
        assertThat(send(get("/api/v1/accounts/" + account + "/events"), AUDITOR_KEY).status()).isEqualTo(200);
        Reply auditorDeposit = send(post("/api/v1/accounts/" + account + "/deposits", "deposit-" + UUID.randomUUID(),
                "{\"amount\":1,\"currency\":\"EUR\"}"), AUDITOR_KEY);
        assertThat(auditorDeposit.status()).as(auditorDeposit.body()).isEqualTo(403);
        assertThat(JSON.readTree(auditorDeposit.body()).path("code").asText()).isEqualTo("forbidden");
        Reply metrics = send(get("/actuator/prometheus"), ADMIN_KEY);
        assertThat(metrics.status()).as(metrics.body()).isEqualTo(200);
        assertThat(metrics.body()).contains("jvm_memory_used_bytes");
        assertThat(send(get("/actuator/prometheus"), PAYMENTS_KEY).status()).isEqualTo(403);
        assertThat(send(get("/actuator/prometheus"), AUDITOR_KEY).status()).isEqualTo(403);
        assertThat(send(get("/actuator/prometheus"), null).status()).isEqualTo(401);
        assertThat(eventClients(account)).as("nothing written by the auditor").hasSize(2);
    }

    @Test
    void the_development_keys_are_refused_once_keys_are_configured() {
        String account = "configured-" + UUID.randomUUID();
        assertThat(send(post("/api/v1/accounts", "open-" + UUID.randomUUID(),
                "{\"accountId\":\"" + account + "\",\"currency\":\"EUR\"}"), PAYMENTS_KEY).status()).isEqualTo(201);
        long events = LedgerTables.events();

        for (String devKey : List.of(TestKeys.PAYMENTS, TestKeys.AUDITOR, TestKeys.ADMIN)) {
            for (HttpRequest.Builder request : List.of(get("/api/v1/accounts/" + account),
                    post("/api/v1/accounts/" + account + "/deposits", "dev-" + UUID.randomUUID(),
                            "{\"amount\":5,\"currency\":\"EUR\"}"),
                    post("/api/v1/reconciliations", "dev-" + UUID.randomUUID(), "{}"),
                    get("/actuator/prometheus"))) {
                Reply reply = send(request, devKey);
                assertThat(reply.status()).as("%s with %s: %s", request.build().uri().getPath(), devKey, reply.body())
                        .isEqualTo(401);
                assertThat(reply.header("WWW-Authenticate")).isEqualTo("Bearer realm=\"ledger\"");
                assertThat(reply.body()).contains("\"code\":\"unauthorized\"").doesNotContain(devKey);
            }
        }
        assertThat(LedgerTables.events()).as("events written with development keys").isEqualTo(events);
        assertThat(LedgerTables.count("select count(*) from idempotency_inbox where idempotency_key like 'dev-%'"))
                .isZero();
    }

    @Test
    void the_prod_profile_without_keys_refuses_to_start() {
        assertThatThrownBy(() -> OwnApplication.builder().profiles("prod").run(OwnApplication.arguments()).close())
                .satisfies(failure -> assertThat(messages(failure)).as("the failure's messages")
                        .anySatisfy(message -> assertThat(message).containsIgnoringCase("API keys")));
    }

    @Test
    void a_malformed_key_entry_refuses_to_start_without_showing_the_hash(CapturedOutput output) {
        String hash = sha256Hex(secretKey());
        for (String entry : List.of("acme-payments:payments", "acme-payments:payments:" + hash.substring(1),
                "acme-payments:root:" + hash)) {
            assertThatThrownBy(() -> OwnApplication.start("ledger.security.api-keys=" + entry).close())
                    .as("entry %s", entry)
                    .satisfies(failure -> {
                        List<String> messages = messages(failure);
                        assertThat(messages).as("messages for %s", entry)
                                .anySatisfy(message -> assertThat(message).contains("ledger.security.api-keys"));
                        assertThat(messages).as("messages for %s", entry)
                                .noneSatisfy(message -> assertThat(message).contains(hash.substring(1)));
                    });
        }
        assertThat(output.getAll()).as("the refusals' logs").contains("ledger.security.api-keys")
                .doesNotContain(hash.substring(1));
    }

    @Test
    void api_keys_never_appear_in_the_logs(CapturedOutput output) {
        // Every request is logged, so that a key in a logged request would show. (Set again here: an
        // application started since, like the ones refusing to start above, resets the log levels.)
        LoggingSystem logging = application.getBean(LoggingSystem.class);
        logging.setLogLevel("org.springframework.web.servlet.DispatcherServlet", LogLevel.TRACE);
        logging.setLogLevel("dev.ledger", LogLevel.DEBUG);
        String wrongKey = secretKey();
        String account = "logged-" + UUID.randomUUID();
        List<Reply> replies = new ArrayList<>();
        replies.add(send(post("/api/v1/accounts", "log-" + UUID.randomUUID(),
                "{\"accountId\":\"" + account + "\",\"currency\":\"EUR\"}"), PAYMENTS_KEY));
        replies.add(send(get("/api/v1/accounts/" + account), PAYMENTS_KEY));
        replies.add(send(get("/api/v1/accounts/" + account), AUDITOR_KEY));
        replies.add(send(post("/api/v1/reconciliations", "log-" + UUID.randomUUID(), "{}"), ADMIN_KEY));
        // Failures of every kind: bad JSON, an unknown account, a forbidden write, a wrong key, a malformed header.
        replies.add(send(post("/api/v1/accounts/" + account + "/deposits", "log-" + UUID.randomUUID(), "{\"amount\":"),
                PAYMENTS_KEY));
        replies.add(send(get("/api/v1/accounts/unknown-" + UUID.randomUUID()), PAYMENTS_KEY));
        replies.add(send(post("/api/v1/accounts/" + account + "/deposits", "log-" + UUID.randomUUID(),
                "{\"amount\":1,\"currency\":\"EUR\"}"), AUDITOR_KEY));
        replies.add(send(get("/api/v1/accounts/" + account), wrongKey));
        replies.add(send(post("/api/v1/accounts/" + account + "/deposits", "log-" + UUID.randomUUID(),
                "{\"amount\":1,\"currency\":\"EUR\"}"), wrongKey));
        replies.add(sendRaw(get("/api/v1/accounts/" + account), "Basic " + wrongKey));
        replies.add(sendRaw(get("/api/v1/accounts/" + account), "Bearer " + wrongKey + "-" + "x".repeat(600)));

        assertThat(replies).extracting(Reply::status)
                .containsExactly(201, 200, 200, 200, 400, 404, 403, 401, 401, 401, 401);
        // The capture sees the service's request logs, so a key in any of them would show.
        assertThat(output.getAll()).contains("/api/v1/accounts/" + account);
        for (String key : List.of(PAYMENTS_KEY, AUDITOR_KEY, ADMIN_KEY, wrongKey)) {
            assertThat(output.getAll()).as("captured output").doesNotContain(key);
            assertThat(replies).extracting(Reply::body).noneMatch(body -> body.contains(key));
        }
        logging.setLogLevel("org.springframework.web.servlet.DispatcherServlet", null);
        logging.setLogLevel("dev.ledger", null);
    }

    private static HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).GET();
    }

    private static HttpRequest.Builder post(String path, String idempotencyKey, String body) {
        return HttpRequest.newBuilder(URI.create(base + path))
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", idempotencyKey)
                .POST(HttpRequest.BodyPublishers.ofString(body));
    }

    private static Reply send(HttpRequest.Builder request, String apiKey) {
        return sendRaw(request, apiKey == null ? null : "Bearer " + apiKey);
    }

    private static Reply sendRaw(HttpRequest.Builder request, String authorization) {
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        try {
            HttpResponse<String> response = HTTP.send(request.timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            return new Reply(response.statusCode(), response.headers(), response.body());
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(interrupted);
        }
    }

    /** The client id recorded in each event of the account's stream, in version order. */
    private static List<String> eventClients(String account) throws SQLException, IOException {
        List<String> clients = new ArrayList<>();
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement("select convert_from(payload, 'UTF8')"
                     + " from domain_event_entry where aggregate_identifier = ? order by sequence_number")) {
            query.setString(1, account);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    clients.add(JSON.readTree(rows.getString(1)).path("origin").path("clientId").asText(null));
                }
            }
        }
        return clients;
    }

    /** The messages of a failure and all its causes. */
    private static List<String> messages(Throwable failure) {
        List<String> messages = new ArrayList<>();
        for (Throwable cause = failure; cause != null && messages.size() < 32; cause = cause.getCause()) {
            messages.add(String.valueOf(cause.getMessage()));
        }
        return messages;
    }

    /** A key as an operator would generate it: 32 random bytes, URL-safe Base64. */
    private static String secretKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return "sk_" + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    private static String sha256Hex(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException(impossible);
        }
    }
}
