package dev.ledger.api.transfer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.idempotency.Answers;
import dev.ledger.api.idempotency.IdempotentRequests;
import dev.ledger.api.idempotency.IdempotentRequests.Fingerprinted;
import dev.ledger.api.problem.ProblemBody;
import dev.ledger.api.web.JsonFields;
import dev.ledger.api.web.RequestClient;
import dev.ledger.api.web.RequestValues;
import dev.ledger.domain.account.AccountIds;
import dev.ledger.domain.account.Origin;
import dev.ledger.domain.account.TransferNotFoundException;
import dev.ledger.domain.money.CurrencyCode;
import dev.ledger.domain.money.Money;
import dev.ledger.infra.transfer.Transfer;
import dev.ledger.infra.transfer.TransferCommands;
import dev.ledger.infra.transfer.TransferCommands.TransferRequest;
import dev.ledger.infra.transfer.Transfers;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/** Transfers between two accounts of one currency: both legs or neither. */
@RestController
@RequestMapping(path = "/api/v1/transfers", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "transfers")
class TransfersController {

    private static final String PROBLEM = MediaType.APPLICATION_PROBLEM_JSON_VALUE;
    private static final String TRANSFERS_PATH = "/api/v1/transfers";

    private final IdempotentRequests idempotent;
    private final TransferCommands commands;
    private final Transfers transfers;
    private final Answers answers;
    private final RequestClient client;
    private final Clock clock;

    TransfersController(IdempotentRequests idempotent, TransferCommands commands, Transfers transfers,
                        Answers answers, RequestClient client, Clock clock) {
        this.idempotent = idempotent;
        this.commands = commands;
        this.transfers = transfers;
        this.answers = answers;
        this.client = client;
        this.clock = clock;
    }

    @Operation(summary = "Transfer money between two accounts",
            description = "Double entry: the debit and the credit commit in one transaction or not at all.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true,
                    content = @Content(schema = @Schema(implementation = TransferRequestBody.class))))
    @Parameter(in = ParameterIn.HEADER, name = IdempotentRequests.HEADER, required = true,
            schema = @Schema(type = "string", minLength = 1, maxLength = 255))
    @ApiResponse(responseCode = "201", description = "Completed; Location set",
            content = @Content(schema = @Schema(implementation = TransferResponse.class)))
    @ApiResponse(responseCode = "400", description = "malformed-request, validation-failed or missing-idempotency-key",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "404", description = "account-not-found",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "409", description = "transfer-exists or idempotency-key-in-flight",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "422",
            description = "insufficient-funds, currency-mismatch, same-account or idempotency-key-reused",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<byte[]> transfer(@RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                    @RequestBody(required = false) JsonNode body) {
        String idempotencyKey = IdempotentRequests.requireKey(key);
        JsonFields fields = JsonFields.of(body,
                Set.of("transferId", "fromAccountId", "toAccountId", "amount", "currency", "reference"));
        String requestedId = fields.optionalString("transferId", AccountIds::isValid, RequestValues.IDENTIFIER_RULE);
        String from = fields.requiredString("fromAccountId", AccountIds::isValid, RequestValues.IDENTIFIER_RULE);
        String to = fields.requiredString("toAccountId", AccountIds::isValid, RequestValues.IDENTIFIER_RULE);
        long amount = fields.requiredLong("amount", Money.AMOUNT_MIN, Money.AMOUNT_MAX);
        String currency = fields.requiredString("currency", CurrencyCode::isValid,
                RequestValues.CURRENCY_RULE);
        String reference = fields.optionalString("reference", RequestValues::isReference,
                RequestValues.REFERENCE_RULE);
        fields.requireValid();
        TransferRequest request = new TransferRequest(requestedId != null ? requestedId : UUID.randomUUID().toString(),
                from, to, amount, currency, reference);
        String clientId = client.clientId();
        return idempotent.execute(
                new Fingerprinted(clientId, idempotencyKey, "POST", TRANSFERS_PATH, null, body),
                List.of(from, to),
                requestId -> answers.answer(() -> {
                    Transfer done = commands.transfer(request, new Origin(clock.instant(), requestId, clientId));
                    return answers.json(201, TransferResponse.of(done),
                            Map.of(HttpHeaders.LOCATION, TRANSFERS_PATH + "/" + done.transferId()));
                }));
    }

    @Operation(summary = "Read a transfer")
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = TransferResponse.class)))
    @ApiResponse(responseCode = "404", description = "transfer-not-found",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @GetMapping("/{transferId}")
    TransferResponse get(@PathVariable String transferId) {
        String id = RequestValues.identifier("transferId", transferId);
        return transfers.find(id).map(TransferResponse::of).orElseThrow(() -> new TransferNotFoundException(id));
    }
}
