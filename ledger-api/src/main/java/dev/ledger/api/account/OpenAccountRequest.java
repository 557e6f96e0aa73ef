package dev.ledger.api.account;

import io.swagger.v3.oas.annotations.media.Schema;

/** The body of {@code POST /api/v1/accounts}, for the OpenAPI document; bodies are read as JSON trees. */
@Schema(name = "OpenAccountRequest")
record OpenAccountRequest(
        @Schema(description = "1-64 characters from [A-Za-z0-9_-]; generated when absent",
                pattern = "^[A-Za-z0-9_-]{1,64}$") String accountId,
        @Schema(description = "ISO 4217 alphabetic code, fixed for the account's life",
                requiredMode = Schema.RequiredMode.REQUIRED, example = "EUR") String currency,
        @Schema(description = "How far below zero the balance may go, in minor units", minimum = "0",
                maximum = "1000000000000000", defaultValue = "0") Long overdraftLimit) {
}
