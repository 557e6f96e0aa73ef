package dev.ledger.api.problem;

import io.swagger.v3.oas.annotations.media.Schema;

/** The shape of every error body, for the OpenAPI document. */
@Schema(name = "Problem", description = "RFC 9457 problem details")
public record ProblemBody(
        String type,
        String title,
        int status,
        String detail,
        @Schema(description = "One of the contract's error codes", allowableValues = {
                "malformed-request", "validation-failed", "missing-idempotency-key", "idempotency-key-reused",
                "idempotency-key-in-flight", "account-not-found", "account-exists", "transfer-not-found",
                "transfer-exists", "insufficient-funds", "currency-mismatch", "same-account", "version-conflict",
                "projection-behind", "payload-too-large", "unsupported-media-type", "method-not-allowed",
                "not-found", "unauthorized", "forbidden", "rate-limited", "overloaded", "internal-error"})
        String code) {
}
