package dev.ledger.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;

/** A plain HTTP client for the ledger's REST API, safe to share between threads. */
public final class LedgerClient {

    /** No single request in a test may take longer than this. */
    public static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    private final String base;

    public LedgerClient(String base) {
        this.base = base;
    }

    public Reply get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    /** POSTs a JSON body with a fresh idempotency key. */
    public Reply post(String path, String json) {
        return post(path, UUID.randomUUID().toString(), null, json);
    }

    public Reply post(String path, String idempotencyKey, String ifMatch, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        if (ifMatch != null) {
            request.header("If-Match", ifMatch);
        }
        return send(request);
    }

    /** Sends any request: for methods, headers and bodies the helpers above do not cover. */
    public Reply send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = HTTP.send(authenticated(request.timeout(REQUEST_TIMEOUT).build()),
                    HttpResponse.BodyHandlers.ofString());
            return new Reply(response);
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(interrupted);
        }
    }

    /**
     * Adds the API key a client with the right role would send, unless the request carries an
     * {@code Authorization} header already (tests of authentication set their own).
     */
    static HttpRequest authenticated(HttpRequest request) {
        if (request.headers().firstValue("Authorization").isPresent()) {
            return request;
        }
        return HttpRequest.newBuilder(request, (name, value) -> true)
                .header("Authorization", TestKeys.bearer(request.uri().getPath()))
                .build();
    }

    public URI uri(String path) {
        return URI.create(base + path);
    }

    public Reply openAccount(String accountId, String currency, long overdraftLimit) {
        return post("/api/v1/accounts", "{\"accountId\":\"" + accountId + "\",\"currency\":\"" + currency
                + "\",\"overdraftLimit\":" + overdraftLimit + "}");
    }

    public Reply deposit(String accountId, long amount, String currency) {
        return post("/api/v1/accounts/" + accountId + "/deposits",
                "{\"amount\":" + amount + ",\"currency\":\"" + currency + "\"}");
    }

    public Reply withdraw(String accountId, long amount, String currency) {
        return post("/api/v1/accounts/" + accountId + "/withdrawals",
                "{\"amount\":" + amount + ",\"currency\":\"" + currency + "\"}");
    }

    /** Reads the account from the read model once everything written so far has been relayed. */
    public Reply account(String accountId) {
        Projections.awaitSettled();
        return get("/api/v1/accounts/" + accountId);
    }

    /** An HTTP response with its body parsed as JSON where it is JSON. */
    public record Reply(int status, java.net.http.HttpHeaders headers, String body) {

        Reply(HttpResponse<String> response) {
            this(response.statusCode(), response.headers(), response.body());
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException notJson) {
                throw new IllegalStateException("not JSON (" + status + "): " + body, notJson);
            }
        }

        public String header(String name) {
            return headers.firstValue(name).orElse(null);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }
}
