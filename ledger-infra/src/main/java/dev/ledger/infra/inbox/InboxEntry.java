package dev.ledger.infra.inbox;

import jakarta.persistence.Column;
import jakarta.persistence.EmbeddedId;
import jakarta.persistence.Entity;
import jakarta.persistence.Table;
import java.time.Instant;

/** One answered idempotent request: its key, what it asked, and the exact response it got. */
@Entity
@Table(name = "idempotency_inbox")
public class InboxEntry {

    @EmbeddedId
    private InboxKey key;

    @Column(name = "request_id", nullable = false, length = 36)
    private String requestId;

    @Column(name = "fingerprint", nullable = false, length = 64)
    private String fingerprint;

    @Column(name = "status_code", nullable = false)
    private int statusCode;

    @Column(name = "response_headers", nullable = false, columnDefinition = "text")
    private String responseHeaders;

    @Column(name = "response_body", nullable = false)
    private byte[] responseBody;

    @Column(name = "created_at", nullable = false)
    private Instant createdAt;

    protected InboxEntry() {
    }

    InboxEntry(InboxKey key, String requestId, String fingerprint, int statusCode, String responseHeaders,
               byte[] responseBody, Instant createdAt) {
        this.key = key;
        this.requestId = requestId;
        this.fingerprint = fingerprint;
        this.statusCode = statusCode;
        this.responseHeaders = responseHeaders;
        this.responseBody = responseBody;
        this.createdAt = createdAt;
    }

    InboxKey key() {
        return key;
    }

    String requestId() {
        return requestId;
    }

    String fingerprint() {
        return fingerprint;
    }

    int statusCode() {
        return statusCode;
    }

    String responseHeaders() {
        return responseHeaders;
    }

    byte[] responseBody() {
        return responseBody;
    }
}
