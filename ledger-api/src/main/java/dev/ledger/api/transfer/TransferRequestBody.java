package dev.ledger.api.transfer;

import io.swagger.v3.oas.annotations.media.Schema;

/** The body of {@code POST /api/v1/transfers}, for the OpenAPI document; bodies are read as JSON trees. */
@Schema(name = "TransferRequest")
record TransferRequestBody(
        @Schema(description = "1-64 characters from [A-Za-z0-9_-]; generated when absent",
                pattern = "^[A-Za-z0-9_-]{1,64}$") String transferId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, pattern = "^[A-Za-z0-9_-]{1,64}$") String fromAccountId,
        @Schema(requiredMode = Schema.RequiredMode.REQUIRED, pattern = "^[A-Za-z0-9_-]{1,64}$") String toAccountId,
        @Schema(description = "Minor units as a JSON integer", requiredMode = Schema.RequiredMode.REQUIRED,
                minimum = "1", maximum = "1000000000000000") Long amount,
        @Schema(description = "Must equal both accounts' currency", requiredMode = Schema.RequiredMode.REQUIRED,
                example = "EUR") String currency,
        @Schema(maxLength = 140) String reference) {
}
