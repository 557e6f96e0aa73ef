package dev.ledger.api.problem;

/** Every {@code code} an error body may carry, with its HTTP status and title (the contract's list). */
public enum ProblemCode {
    MALFORMED_REQUEST(400, "Malformed request"),
    VALIDATION_FAILED(400, "Validation failed"),
    MISSING_IDEMPOTENCY_KEY(400, "Missing or malformed Idempotency-Key"),
    IDEMPOTENCY_KEY_REUSED(422, "Idempotency-Key reused for a different request"),
    IDEMPOTENCY_KEY_IN_FLIGHT(409, "Request with this Idempotency-Key in flight"),
    ACCOUNT_NOT_FOUND(404, "Account not found"),
    ACCOUNT_EXISTS(409, "Account exists"),
    TRANSFER_NOT_FOUND(404, "Transfer not found"),
    TRANSFER_EXISTS(409, "Transfer exists"),
    INSUFFICIENT_FUNDS(422, "Insufficient funds"),
    CURRENCY_MISMATCH(422, "Currency mismatch"),
    SAME_ACCOUNT(422, "Same account"),
    VERSION_CONFLICT(412, "Version conflict"),
    PROJECTION_BEHIND(503, "Projection behind"),
    PAYLOAD_TOO_LARGE(413, "Payload too large"),
    UNSUPPORTED_MEDIA_TYPE(415, "Unsupported media type"),
    METHOD_NOT_ALLOWED(405, "Method not allowed"),
    NOT_FOUND(404, "Not found"),
    UNAUTHORIZED(401, "Unauthorized"),
    FORBIDDEN(403, "Forbidden"),
    RATE_LIMITED(429, "Rate limited"),
    OVERLOADED(503, "Overloaded"),
    INTERNAL_ERROR(500, "Internal error");

    private final int status;
    private final String title;

    ProblemCode(int status, String title) {
        this.status = status;
        this.title = title;
    }

    public int status() {
        return status;
    }

    public String title() {
        return title;
    }

    /** The code as it appears in bodies: {@code VERSION_CONFLICT} is {@code version-conflict}. */
    public String code() {
        return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }

    /** A URI per code that names the problem type (RFC 9457 {@code type}). */
    public String type() {
        return "urn:ledger:problem:" + code();
    }
}
