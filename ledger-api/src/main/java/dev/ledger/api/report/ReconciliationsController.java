package dev.ledger.api.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.idempotency.Answers;
import dev.ledger.api.idempotency.IdempotentRequests;
import dev.ledger.api.idempotency.IdempotentRequests.Fingerprinted;
import dev.ledger.api.web.JsonFields;
import dev.ledger.api.web.RequestClient;
import dev.ledger.infra.reconciliation.Reconciliation;
import dev.ledger.infra.reconciliation.Reconciliation.Report;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** Reconciliation on demand; the same check runs as a batch command ({@code java -jar ledger.jar reconcile}). */
@RestController
@Tag(name = "reports")
class ReconciliationsController {

    private final IdempotentRequests idempotent;
    private final Reconciliation reconciliation;
    private final Answers answers;
    private final RequestClient client;

    ReconciliationsController(IdempotentRequests idempotent, Reconciliation reconciliation, Answers answers,
                              RequestClient client) {
        this.idempotent = idempotent;
        this.reconciliation = reconciliation;
        this.answers = answers;
        this.client = client;
    }

    @Operation(summary = "Replay every account from the event store and compare it with the read model",
            description = "The report lists every mismatch (at most 1000, with their count) and whether the"
                    + " ledger is balanced. Like every POST it is idempotent: the same key replays the same report.")
    @Parameter(in = ParameterIn.HEADER, name = IdempotentRequests.HEADER, required = true,
            schema = @Schema(type = "string", minLength = 1, maxLength = 255))
    @ApiResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = Report.class)))
    @PostMapping(path = "/api/v1/reconciliations", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<byte[]> reconcile(@RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                     @RequestBody(required = false) JsonNode body) {
        String idempotencyKey = IdempotentRequests.requireKey(key);
        JsonFields.of(body, Set.of()).requireValid();
        return idempotent.execute(
                new Fingerprinted(client.clientId(), idempotencyKey, "POST", "/api/v1/reconciliations", null, body),
                List.of(), requestId -> answers.json(200, reconciliation.run(), Map.of()));
    }
}
