package dev.ledger.api.problem;

import io.swagger.v3.oas.annotations.media.Schema;

/** The shape of every error body, for the OpenAPI document. */
@Schema(name = "Problem", description = "RFC 9457 problem details")
public record ProblemBody(
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "A URI naming the problem type",
                example = "urn:ledger:problem:validation-failed") String type,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "A short summary of the problem type")
        String title,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "The HTTP status") int status,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "What went wrong with this request")
        String detail,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, description = "One of the contract's error codes",
                allowableValues = {
                "malformed-request", "validation-failed", "missing-idempotency-key", "idempotency-key-reused",
                "idempotency-key-in-flight", "account-not-found", "account-exists", "transfer-not-found",
                "transfer-exists", "insufficient-funds", "currency-mismatch", "same-account", "version-conflict",
                "projection-behind", "payload-too-large", "unsupported-media-type", "method-not-allowed",
                "not-found", "unauthorized", "forbidden", "rate-limited", "overloaded", "internal-error"})
        String code) {
}
