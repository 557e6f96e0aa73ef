package dev.ledger.api.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.api.problem.ProblemCode;
import dev.ledger.api.problem.ProblemException;
import dev.ledger.infra.command.IdempotentExecutor;
import io.github.resilience4j.bulkhead.Bulkhead;
import dev.ledger.infra.inbox.InboxKey;
import dev.ledger.infra.inbox.InboxRequest;
import dev.ledger.infra.inbox.InboxResult;
import dev.ledger.infra.inbox.StoredResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;

/**
 * The HTTP side of idempotency: checks the {@code Idempotency-Key} header, fingerprints the
 * request, and answers with the response the inbox returns (marked when it is a replay).
 */
@Component
public class IdempotentRequests {

    public static final String HEADER = "Idempotency-Key";
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";
    public static final String REQUEST_ID_HEADER = "Request-Id";

    /** 1 to 255 printable ASCII characters. */
    private static final Pattern KEY_SHAPE = Pattern.compile("[\\x20-\\x7E]{1,255}");

    private final IdempotentExecutor executor;
    private final Bulkhead bulkhead;
    private final ObjectMapper json;

    IdempotentRequests(IdempotentExecutor executor, ObjectMapper json, Bulkhead commandBulkhead) {
        this.executor = executor;
        this.bulkhead = commandBulkhead;
        this.json = json;
    }

    /** Fails with 400 missing-idempotency-key unless the header holds a well-formed key. */
    public static String requireKey(String idempotencyKey) {
        if (idempotencyKey == null || idempotencyKey.isBlank() || !KEY_SHAPE.matcher(idempotencyKey).matches()) {
            throw new ProblemException(ProblemCode.MISSING_IDEMPOTENCY_KEY,
                    "every POST needs an Idempotency-Key header of 1 to 255 printable ASCII characters");
        }
        return idempotencyKey;
    }

    /**
     * Executes a validated request once per key.
     *
     * @param request what identifies the request: two requests are the same when their method,
     *                path, body (compared as JSON, so member order does not matter) and
     *                {@code If-Match} are
     */
    public ResponseEntity<byte[]> execute(Fingerprinted request, List<String> accountIds,
                                          Function<String, StoredResponse> action) {
        InboxKey key = new InboxKey(request.clientId(), request.idempotencyKey());
        InboxRequest inboxRequest = new InboxRequest(key, fingerprint(request), accountIds);
        InboxResult result = bulkhead.executeSupplier(() -> executor.execute(inboxRequest, action));
        ResponseEntity.BodyBuilder builder = ResponseEntity.status(result.response().status());
        result.response().headers().forEach(builder::header);
        builder.header(REQUEST_ID_HEADER, result.requestId());
        if (result.replayed()) {
            builder.header(REPLAYED_HEADER, "true");
        }
        return builder.body(result.response().body());
    }

    private String fingerprint(Fingerprinted request) {
        String canonical;
        try {
            canonical = json.writeValueAsString(sorted(request.body()));
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException("a parsed JSON tree always serializes", impossible);
        }
        String text = request.method() + '\n' + request.path() + '\n'
                + (request.ifMatch() == null ? "" : request.ifMatch()) + '\n' + canonical;
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException impossible) {
            throw new IllegalStateException("every JVM has SHA-256", impossible);
        }
    }

    private JsonNode sorted(JsonNode node) {
        if (node.isObject()) {
            ObjectNode copy = json.createObjectNode();
            for (String name : fieldNames(node)) {
                copy.set(name, sorted(node.get(name)));
            }
            return copy;
        }
        return node;
    }

    private static TreeSet<String> fieldNames(JsonNode node) {
        TreeSet<String> names = new TreeSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Everything that makes two requests with one key the same request. */
    public record Fingerprinted(String clientId, String idempotencyKey, String method, String path,
                                String ifMatch, JsonNode body) {
    }
}
