package dev.ledger.api.account;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.idempotency.IdempotentRequests;
import dev.ledger.api.idempotency.IdempotentRequests.Fingerprinted;
import dev.ledger.api.problem.ProblemBody;
import dev.ledger.api.problem.ProblemCode;
import dev.ledger.api.problem.ProblemException;
import dev.ledger.api.web.JsonFields;
import dev.ledger.api.web.RequestClient;
import dev.ledger.api.web.RequestValues;
import dev.ledger.domain.account.AccountIds;
import dev.ledger.domain.money.CurrencyCode;
import dev.ledger.domain.money.Money;
import dev.ledger.infra.account.AccountHistory;
import dev.ledger.infra.projection.ReadModels;
import dev.ledger.infra.projection.ReadModels.AccountBalance;
import dev.ledger.api.problem.Problem;
import java.time.Duration;
import java.util.Optional;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.enums.ParameterIn;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Accounts: open, read, history, deposits and withdrawals. HTTP in, commands and queries out. */
@RestController
@RequestMapping(path = "/api/v1/accounts", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "accounts")
class AccountsController {

    private static final String PROBLEM = MediaType.APPLICATION_PROBLEM_JSON_VALUE;
    private static final int HISTORY_LIMIT_DEFAULT = 100;

    private final IdempotentRequests idempotent;
    private final AccountWrites writes;
    private final AccountHistory history;
    private final RequestClient client;
    private final ReadModels readModels;
    private final ReadProperties reads;

    AccountsController(IdempotentRequests idempotent, AccountWrites writes, AccountHistory history,
                       RequestClient client, ReadModels readModels, ReadProperties reads) {
        this.idempotent = idempotent;
        this.writes = writes;
        this.history = history;
        this.client = client;
        this.readModels = readModels;
        this.reads = reads;
    }

    @Operation(summary = "Open an account", requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(
            required = true, content = @Content(schema = @Schema(implementation = OpenAccountRequest.class))))
    @ApiResponse(responseCode = "201", description = "Opened; Location and ETag headers set",
            content = @Content(schema = @Schema(implementation = AccountResponse.class)))
    @ApiResponse(responseCode = "400", description = "malformed-request, validation-failed or missing-idempotency-key",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "409", description = "account-exists or idempotency-key-in-flight",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "422", description = "idempotency-key-reused",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @WriteResponses
    @IdempotencyKeyParameter
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<byte[]> open(@RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                @RequestBody(required = false) JsonNode body) {
        String idempotencyKey = IdempotentRequests.requireKey(key);
        JsonFields fields = JsonFields.of(body, Set.of("accountId", "currency", "overdraftLimit"));
        String requestedId = fields.optionalString("accountId", AccountIds::isValid,
                RequestValues.IDENTIFIER_RULE);
        String currency = fields.requiredString("currency", CurrencyCode::isValid,
                RequestValues.CURRENCY_RULE);
        long overdraftLimit = fields.optionalLong("overdraftLimit", 0, Money.OVERDRAFT_LIMIT_MAX, 0);
        fields.requireValid();
        String accountId = requestedId != null ? requestedId : UUID.randomUUID().toString();
        return idempotent.execute(
                new Fingerprinted(client.clientId(), idempotencyKey, "POST", "/api/v1/accounts", null, body),
                List.of(accountId), writes.open(accountId, currency, overdraftLimit, client.clientId()));
    }

    @Operation(summary = "Read an account", description = "Answers from the read model. With minVersion it"
            + " waits (at most ledger.reads.min-version-wait-max, default 2 s) until the read model has applied"
            + " that version, so a client can read its own write.")
    @ApiResponse(responseCode = "200", description = "The account; ETag carries its version",
            content = @Content(schema = @Schema(implementation = AccountResponse.class)))
    @ApiResponse(responseCode = "400", description = "validation-failed: a malformed account id or minVersion",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "404", description = "account-not-found",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "503", description = "projection-behind: minVersion not reached; Retry-After set",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @GetMapping("/{accountId}")
    ResponseEntity<AccountResponse> get(
            @AccountIdParameter @PathVariable String accountId,
            @Parameter(description = "Answer only once the account has reached this version (read your writes)",
                    schema = @Schema(type = "integer", format = "int64", minimum = "0"))
            @RequestParam(required = false) String minVersion) {
        String id = RequestValues.accountId(accountId);
        long wanted = RequestValues.longParameter("minVersion", minVersion, 0, Long.MAX_VALUE, 0);
        Optional<AccountBalance> found = readModels.awaitAccount(id, Math.max(wanted, 1),
                wanted > 0 ? reads.minVersionWaitMax() : Duration.ZERO);
        if (found.isEmpty()) {
            if (!history.exists(id)) {
                throw new ProblemException(ProblemCode.ACCOUNT_NOT_FOUND, "account " + id + " does not exist");
            }
            if (wanted == 0) {
                // Opened but not projected yet: the client just created it, so give the projection a moment.
                found = readModels.awaitAccount(id, 1, reads.minVersionWaitMax());
            }
        }
        long reached = found.map(AccountBalance::version).orElse(0L);
        if (found.isEmpty() || reached < wanted) {
            throw new ProblemException(Problem.of(ProblemCode.PROJECTION_BEHIND, "the read model of account " + id
                            + " is at version " + reached + ", not yet " + Math.max(wanted, 1))
                    .withExtension("currentVersion", reached)
                    .withHeader(HttpHeaders.RETRY_AFTER, "1"));
        }
        AccountBalance account = found.get();
        return ResponseEntity.ok().eTag("\"" + account.version() + "\"").body(AccountResponse.of(account));
    }

    @Operation(summary = "An account's history, oldest first, for auditors")
    @ApiResponse(responseCode = "200", description = "A page of consecutive versions",
            content = @Content(schema = @Schema(implementation = EventsPage.class)))
    @ApiResponse(responseCode = "400", description = "validation-failed: a malformed account id, afterVersion or limit",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "404", description = "account-not-found",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @GetMapping("/{accountId}/events")
    EventsPage events(@AccountIdParameter @PathVariable String accountId,
                      @Parameter(description = "Start after this version; default 0",
                              schema = @Schema(type = "integer", format = "int64", minimum = "0",
                                      defaultValue = "0"))
                      @RequestParam(required = false) String afterVersion,
                      @Parameter(description = "1 to 1000; default 100",
                              schema = @Schema(type = "integer", format = "int32", minimum = "1", maximum = "1000",
                                      defaultValue = "100"))
                      @RequestParam(required = false) String limit) {
        String id = RequestValues.accountId(accountId);
        long after = RequestValues.longParameter("afterVersion", afterVersion, 0, Long.MAX_VALUE - 1, 0);
        int size = (int) RequestValues.longParameter("limit", limit, 1, AccountHistory.PAGE_LIMIT_MAX,
                HISTORY_LIMIT_DEFAULT);
        List<EventItem> items = history.page(id, after, size).stream().map(EventItem::of).toList();
        return new EventsPage(items, items.isEmpty() ? after : items.get(items.size() - 1).version());
    }

    @Operation(summary = "Deposit money", requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(
            required = true, content = @Content(schema = @Schema(implementation = MoneyRequest.class))))
    @EntryResponses
    @WriteResponses
    @IdempotencyKeyParameter
    @IfMatchParameter
    @PostMapping(path = "/{accountId}/deposits", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<byte[]> deposit(@AccountIdParameter @PathVariable String accountId,
                                   @RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                   @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) String ifMatch,
                                   @RequestBody(required = false) JsonNode body) {
        return entry("deposits", accountId, key, ifMatch, body, writes::deposit);
    }

    @Operation(summary = "Withdraw money", requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(
            required = true, content = @Content(schema = @Schema(implementation = MoneyRequest.class))))
    @EntryResponses
    @WriteResponses
    @IdempotencyKeyParameter
    @IfMatchParameter
    @PostMapping(path = "/{accountId}/withdrawals", consumes = MediaType.APPLICATION_JSON_VALUE)
    ResponseEntity<byte[]> withdraw(@AccountIdParameter @PathVariable String accountId,
                                    @RequestHeader(name = IdempotentRequests.HEADER, required = false) String key,
                                    @RequestHeader(name = HttpHeaders.IF_MATCH, required = false) String ifMatch,
                                    @RequestBody(required = false) JsonNode body) {
        return entry("withdrawals", accountId, key, ifMatch, body, writes::withdraw);
    }

    private ResponseEntity<byte[]> entry(String kind, String rawAccountId, String key, String ifMatch, JsonNode body,
                                         EntryAction action) {
        String accountId = RequestValues.accountId(rawAccountId);
        String idempotencyKey = IdempotentRequests.requireKey(key);
        Long expectedVersion = RequestValues.ifMatchVersion(ifMatch);
        JsonFields fields = JsonFields.of(body, Set.of("amount", "currency", "reference"));
        long amount = fields.requiredLong("amount", Money.AMOUNT_MIN, Money.AMOUNT_MAX);
        String currency = fields.requiredString("currency", CurrencyCode::isValid,
                RequestValues.CURRENCY_RULE);
        String reference = fields.optionalString("reference", RequestValues::isReference,
                RequestValues.REFERENCE_RULE);
        fields.requireValid();
        String path = AccountWrites.ACCOUNTS_PATH + accountId + "/" + kind;
        return idempotent.execute(
                new Fingerprinted(client.clientId(), idempotencyKey, "POST", path,
                        expectedVersion == null ? null : expectedVersion.toString(), body),
                List.of(accountId),
                action.prepare(accountId, amount, currency, reference, expectedVersion, client.clientId()));
    }

    @FunctionalInterface
    private interface EntryAction {
        Function<String, dev.ledger.infra.inbox.StoredResponse> prepare(
                String accountId, long amount, String currency, String reference, Long expectedVersion,
                String clientId);
    }

    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @Parameter(in = ParameterIn.HEADER, name = IdempotentRequests.HEADER, required = true,
            description = "1-255 printable ASCII characters, scoped to the client; a retry with the same key"
                    + " replays the first answer with Idempotent-Replayed: true",
            schema = @Schema(type = "string", minLength = 1, maxLength = 255))
    @interface IdempotencyKeyParameter {
    }

    @java.lang.annotation.Target(java.lang.annotation.ElementType.PARAMETER)
    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @Parameter(in = ParameterIn.PATH, description = "1-64 characters from [A-Za-z0-9_-]; anything else is a 400",
            schema = @Schema(type = "string", pattern = "^[A-Za-z0-9_-]{1,64}$", minLength = 1, maxLength = 64))
    @interface AccountIdParameter {
    }

    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @ApiResponse(responseCode = "413", description = "payload-too-large: the body exceeds the request size limit",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "415", description = "unsupported-media-type: send the body as application/json",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "503", description = "overloaded: the account or database is busy; Retry-After set,"
            + " retry with the same Idempotency-Key",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @interface WriteResponses {
    }

    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @Parameter(in = ParameterIn.HEADER, name = HttpHeaders.IF_MATCH, required = false,
            description = "\"<version>\" (quotes included): write only if the account is still at that version,"
                    + " else 412; * matches any version",
            schema = @Schema(type = "string", pattern = "^(\\*|\"[0-9]+\")$", example = "\"\\\"3\\\"\""))
    @interface IfMatchParameter {
    }

    @java.lang.annotation.Retention(java.lang.annotation.RetentionPolicy.RUNTIME)
    @ApiResponse(responseCode = "201", description = "The entry; balance and version are the account's after it",
            content = @Content(schema = @Schema(implementation = EntryResponse.class)))
    @ApiResponse(responseCode = "400", description = "malformed-request, validation-failed or missing-idempotency-key",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "404", description = "account-not-found",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "409", description = "idempotency-key-in-flight; Retry-After set",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "412", description = "version-conflict; body carries currentVersion",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @ApiResponse(responseCode = "422",
            description = "insufficient-funds, currency-mismatch or idempotency-key-reused",
            content = @Content(mediaType = PROBLEM, schema = @Schema(implementation = ProblemBody.class)))
    @interface EntryResponses {
    }
}
