package dev.ledger.api.readmodel;

import static java.util.concurrent.TimeUnit.MILLISECONDS;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.support.Poll;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import dev.ledger.support.RelayPause;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Proves that GET account is read-your-writes: it carries the version as ETag, a read with
 * minVersion waits for the read model (and only boundedly, about the configured 2 s, before
 * answering 503 projection-behind), and malformed or unknown reads answer the contract's problems.
 */
class ReadYourWritesTest extends IntegrationTest {

    /** ledger.reads.min-version-wait-max as configured. */
    private static final Duration WAIT_MAX = Duration.ofSeconds(2);

    @Test
    void an_account_read_carries_its_version_in_the_body_and_as_etag() {
        String account = unique("ryw-etag");
        Api.created(ledger.openAccount(account, "EUR", 0));
        Api.created(ledger.deposit(account, 400, "EUR"));

        Reply read = ledger.account(account);

        assertThat(read.status()).as(read.body()).isEqualTo(200);
        assertThat(read.header("ETag")).isEqualTo("\"2\"");
        JsonNode body = read.json();
        assertThat(body.get("accountId").asText()).isEqualTo(account);
        assertThat(body.get("currency").asText()).isEqualTo("EUR");
        assertThat(body.get("balance").asLong()).isEqualTo(400);
        assertThat(body.get("overdraftLimit").asLong()).isZero();
        assertThat(body.get("version").asLong()).isEqualTo(2);
    }

    @Test
    void a_read_with_the_version_just_written_answers_that_version() {
        String account = unique("ryw-own");
        Api.created(ledger.openAccount(account, "EUR", 0));
        for (int i = 1; i <= 5; i++) {
            JsonNode entry = Api.created(ledger.deposit(account, 10L * i, "EUR"));
            long version = entry.get("version").asLong();

            Reply read = ledger.get("/api/v1/accounts/" + account + "?minVersion=" + version);

            assertThat(read.status()).as(read.body()).isEqualTo(200);
            assertThat(read.json().get("version").asLong()).isEqualTo(version);
            assertThat(read.json().get("balance").asLong()).isEqualTo(entry.get("balance").asLong());
            assertThat(read.header("ETag")).isEqualTo("\"" + version + "\"");
        }
    }

    @Test
    void a_read_waits_for_a_projection_that_is_behind_and_answers_once_it_arrives() throws Exception {
        String account = unique("ryw-wait");
        Api.created(ledger.openAccount(account, "EUR", 0));
        ledger.account(account);
        ExecutorService reader = Executors.newSingleThreadExecutor();
        try (RelayPause pause = RelayPause.hold()) {
            JsonNode entry = Api.created(ledger.deposit(account, 75, "EUR"));
            Future<Reply> read = reader.submit(() -> ledger.get("/api/v1/accounts/" + account + "?minVersion="
                    + entry.get("version").asLong()));
            try {
                Reply early = read.get(300, MILLISECONDS);
                throw new AssertionError("answered while the relay was paused: " + early);
            } catch (TimeoutException stillWaiting) {
                // the read waits for the read model, as it should
            }

            pause.close();
            Reply reply = read.get(Poll.WAIT.toSeconds(), SECONDS);

            assertThat(reply.status()).as(reply.body()).isEqualTo(200);
            assertThat(reply.json().get("version").asLong()).isEqualTo(2);
            assertThat(reply.json().get("balance").asLong()).isEqualTo(75);
        } finally {
            reader.shutdownNow();
            assertThat(reader.awaitTermination(Poll.WAIT.toSeconds(), SECONDS)).isTrue();
        }
    }

    @Test
    void a_read_with_a_version_far_ahead_answers_projection_behind_after_the_bounded_wait() {
        String account = unique("ryw-ahead");
        Api.created(ledger.openAccount(account, "EUR", 0));
        JsonNode entry = Api.created(ledger.deposit(account, 30, "EUR"));
        long version = entry.get("version").asLong();
        ledger.account(account);

        long started = System.nanoTime();
        Reply behind = ledger.get("/api/v1/accounts/" + account + "?minVersion=" + (version + 1000));
        Duration took = Duration.ofNanos(System.nanoTime() - started);

        JsonNode problem = Api.assertProblem(behind, 503, "projection-behind");
        assertThat(behind.header("Retry-After")).as("Retry-After").matches("[1-9][0-9]*");
        assertThat(problem.get("currentVersion").asLong()).isEqualTo(version);
        assertThat(took).as("time to answer projection-behind (wait max %s)", WAIT_MAX)
                .isGreaterThanOrEqualTo(Duration.ofMillis(1500)).isLessThanOrEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void an_account_opened_but_not_yet_projected_is_waited_for_rather_than_reported_missing() throws Exception {
        String account = unique("ryw-unprojected");
        try (RelayPause pause = RelayPause.hold()) {
            Api.created(ledger.openAccount(account, "EUR", 0));

            long started = System.nanoTime();
            Reply behind = ledger.get("/api/v1/accounts/" + account);
            Duration took = Duration.ofNanos(System.nanoTime() - started);

            Api.assertProblem(behind, 503, "projection-behind");
            assertThat(behind.header("Retry-After")).isNotNull();
            assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(1500)).isLessThanOrEqualTo(Duration.ofSeconds(5));
        }
        Reply read = Poll.until("the opened account in the read model",
                () -> ledger.get("/api/v1/accounts/" + account), reply -> reply.status() == 200);
        assertThat(read.json().get("version").asLong()).isEqualTo(1);
    }

    @Test
    void a_malformed_min_version_is_a_validation_failure() {
        String account = unique("ryw-malformed");
        Api.created(ledger.openAccount(account, "EUR", 0));
        for (String minVersion : new String[] {"abc", "-1", "1.5", "1e3", "", "%20", "99999999999999999999"}) {
            Reply reply = ledger.get("/api/v1/accounts/" + account + "?minVersion=" + minVersion);
            Api.assertProblem(reply, 400, "validation-failed");
            assertThat(reply.body()).as("minVersion=%s", minVersion).contains("minVersion");
        }
    }

    @Test
    void an_unknown_well_formed_account_is_not_found() {
        String account = unique("ryw-unknown");

        Api.assertProblem(ledger.get("/api/v1/accounts/" + account), 404, "account-not-found");
        Api.assertProblem(ledger.get("/api/v1/accounts/" + account + "?minVersion=1"), 404, "account-not-found");
        Api.assertProblem(ledger.get("/api/v1/accounts/not!an-id"), 400, "validation-failed");
    }
}
