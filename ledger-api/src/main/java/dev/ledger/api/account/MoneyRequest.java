package dev.ledger.api.account;

import io.swagger.v3.oas.annotations.media.Schema;

/** The body of a deposit or withdrawal, for the OpenAPI document; bodies are read as JSON trees. */
@Schema(name = "MoneyRequest")
record MoneyRequest(
        @Schema(description = "Minor units as a JSON integer; floats, strings and null are refused",
                requiredMode = Schema.RequiredMode.REQUIRED, minimum = "1", maximum = "1000000000000000",
                example = "1050") Long amount,
        @Schema(description = "Must equal the account's currency", requiredMode = Schema.RequiredMode.REQUIRED,
                example = "EUR") String currency,
        @Schema(description = "Free text for the client's own records", maxLength = 140) String reference) {
}
