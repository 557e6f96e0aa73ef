package dev.ledger.infra.inbox;

import java.util.Map;
import java.util.Objects;

/**
 * An HTTP response as it was sent: status, the headers that belong to the answer (content type,
 * location, entity tag) and the exact body bytes, so a replay is byte for byte the same.
 */
public record StoredResponse(int status, Map<String, String> headers, byte[] body) {

    public StoredResponse {
        headers = Map.copyOf(Objects.requireNonNull(headers, "headers"));
        Objects.requireNonNull(body, "body");
    }
}
