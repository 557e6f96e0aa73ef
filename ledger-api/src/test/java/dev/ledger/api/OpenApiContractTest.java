package dev.ledger.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledger.api.problem.ProblemCode;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.LedgerClient.Reply;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Proves that the served OpenAPI document describes every endpoint, header, limit and error code of the contract. */
class OpenApiContractTest extends IntegrationTest {

    private static final String ACCOUNTS = "/api/v1/accounts";
    private static final String ACCOUNT = ACCOUNTS + "/{accountId}";
    private static final String EVENTS = ACCOUNT + "/events";
    private static final String DEPOSITS = ACCOUNT + "/deposits";
    private static final String WITHDRAWALS = ACCOUNT + "/withdrawals";
    private static final BigInteger AMOUNT_MAX = BigInteger.TEN.pow(15);

    /** The error codes as api-v1.md lists them, in its order. */
    private static final List<String> CONTRACT_CODES = List.of("malformed-request", "validation-failed",
            "missing-idempotency-key", "idempotency-key-reused", "idempotency-key-in-flight", "account-not-found",
            "account-exists", "transfer-not-found", "transfer-exists", "insufficient-funds", "currency-mismatch",
            "same-account", "version-conflict", "projection-behind", "payload-too-large", "unsupported-media-type",
            "method-not-allowed", "not-found", "unauthorized", "forbidden", "rate-limited", "overloaded",
            "internal-error");

    private JsonNode document;

    @BeforeEach
    void readTheDocument() {
        Reply reply = ledger.get("/v3/api-docs");
        assertThat(reply.status()).as(reply.body()).isEqualTo(200);
        assertThat(reply.header("Content-Type")).startsWith("application/json");
        document = reply.json();
    }

    @Test
    void every_account_endpoint_of_the_contract_is_documented_with_its_method() {
        assertThat(operation("post", ACCOUNTS).isObject()).as("POST " + ACCOUNTS).isTrue();
        assertThat(operation("get", ACCOUNT).isObject()).as("GET " + ACCOUNT).isTrue();
        assertThat(operation("get", EVENTS).isObject()).as("GET " + EVENTS).isTrue();
        assertThat(operation("post", DEPOSITS).isObject()).as("POST " + DEPOSITS).isTrue();
        assertThat(operation("post", WITHDRAWALS).isObject()).as("POST " + WITHDRAWALS).isTrue();
        assertThat(methods(ACCOUNTS)).containsExactly("post");
        assertThat(methods(ACCOUNT)).containsExactly("get");
        assertThat(methods(EVENTS)).containsExactly("get");
        assertThat(methods(DEPOSITS)).containsExactly("post");
        assertThat(methods(WITHDRAWALS)).containsExactly("post");
    }

    @Test
    void every_endpoint_added_after_the_accounts_is_documented_with_its_method() {
        assertThat(methods("/api/v1/transfers")).containsExactly("post");
        assertThat(methods("/api/v1/transfers/{transferId}")).containsExactly("get");
        assertThat(methods("/api/v1/events")).containsExactly("get");
        assertThat(methods("/api/v1/reports/balances")).containsExactly("get");
        assertThat(methods("/api/v1/reconciliations")).containsExactly("post");
    }

    @Test
    void the_document_says_that_requests_need_a_bearer_api_key() {
        assertThat(document.at("/components/securitySchemes/apiKey/type").asText()).isEqualTo("http");
        assertThat(document.at("/components/securitySchemes/apiKey/scheme").asText()).isEqualTo("bearer");
        assertThat(document.at("/security/0").has("apiKey")).as("global security requirement").isTrue();
    }

    @Test
    void the_document_holds_only_the_public_api_and_names_it() {
        List<String> paths = new ArrayList<>();
        document.path("paths").fieldNames().forEachRemaining(paths::add);
        assertThat(paths).allMatch(path -> path.startsWith("/api/v1/"), "starts with /api/v1/");
        assertThat(document.at("/info/version").asText()).isEqualTo("v1");
        assertThat(document.at("/info/title").asText()).containsIgnoringCase("ledger");
    }

    @Test
    void every_post_requires_an_idempotency_key_header() {
        for (String path : List.of(ACCOUNTS, DEPOSITS, WITHDRAWALS)) {
            JsonNode key = parameter(operation("post", path), "header", "Idempotency-Key");
            assertThat(key.path("required").asBoolean()).as("Idempotency-Key required on POST " + path).isTrue();
            assertThat(key.at("/schema/minLength").asInt()).isEqualTo(1);
            assertThat(key.at("/schema/maxLength").asInt()).isEqualTo(255);
        }
    }

    @Test
    void deposits_and_withdrawals_declare_the_optional_if_match_header() {
        for (String path : List.of(DEPOSITS, WITHDRAWALS)) {
            JsonNode ifMatch = parameter(operation("post", path), "header", "If-Match");
            assertThat(ifMatch.path("required").asBoolean(false)).as("If-Match is optional on " + path).isFalse();
            assertThat(ifMatch.at("/schema/example").asText()).as("an example a client can send as it is")
                    .matches("\"[0-9]+\"");
            assertThat(ifMatch.at("/schema/pattern").asText()).isNotBlank();
        }
        assertThat(parameterOrNull(operation("post", ACCOUNTS), "header", "If-Match")).isNull();
    }

    @Test
    void account_ids_in_paths_are_documented_with_their_shape() {
        for (String[] endpoint : new String[][] {{"get", ACCOUNT}, {"get", EVENTS}, {"post", DEPOSITS},
                {"post", WITHDRAWALS}}) {
            JsonNode id = parameter(operation(endpoint[0], endpoint[1]), "path", "accountId");
            assertThat(id.path("required").asBoolean()).isTrue();
            assertThat(id.at("/schema/pattern").asText()).as("accountId pattern on " + endpoint[1])
                    .isEqualTo("^[A-Za-z0-9_-]{1,64}$");
        }
    }

    @Test
    void query_parameters_are_documented_as_bounded_integers() {
        JsonNode minVersion = parameter(operation("get", ACCOUNT), "query", "minVersion");
        assertThat(minVersion.at("/schema/type").asText()).isEqualTo("integer");
        assertThat(minVersion.at("/schema/minimum").asLong()).isZero();
        JsonNode afterVersion = parameter(operation("get", EVENTS), "query", "afterVersion");
        assertThat(afterVersion.at("/schema/type").asText()).isEqualTo("integer");
        assertThat(afterVersion.at("/schema/minimum").asLong()).isZero();
        JsonNode limit = parameter(operation("get", EVENTS), "query", "limit");
        assertThat(limit.at("/schema/type").asText()).isEqualTo("integer");
        assertThat(limit.at("/schema/minimum").asLong()).isEqualTo(1);
        assertThat(limit.at("/schema/maximum").asLong()).isEqualTo(1000);
        assertThat(limit.at("/schema/default").asLong()).isEqualTo(100);
    }

    @Test
    void every_operation_documents_the_response_codes_of_the_contract() {
        assertThat(responseCodes("post", ACCOUNTS)).contains("201", "400", "409", "413", "415", "422");
        assertThat(responseCodes("get", ACCOUNT)).contains("200", "400", "404", "503");
        assertThat(responseCodes("get", EVENTS)).contains("200", "400", "404");
        for (String path : List.of(DEPOSITS, WITHDRAWALS)) {
            assertThat(responseCodes("post", path)).as(path)
                    .contains("201", "400", "404", "409", "412", "413", "415", "422");
        }
    }

    @Test
    void every_error_response_is_a_problem_and_every_success_has_its_shape() {
        String[][] endpoints = {{"post", ACCOUNTS, "201", "AccountResponse"}, {"get", ACCOUNT, "200", "AccountResponse"},
                {"get", EVENTS, "200", "EventsPage"}, {"post", DEPOSITS, "201", "EntryResponse"},
                {"post", WITHDRAWALS, "201", "EntryResponse"}};
        for (String[] endpoint : endpoints) {
            JsonNode responses = operation(endpoint[0], endpoint[1]).path("responses");
            assertThat(responses.at("/" + endpoint[2] + "/content/application~1json/schema/$ref").asText())
                    .as("%s %s %s", endpoint[0], endpoint[1], endpoint[2])
                    .isEqualTo("#/components/schemas/" + endpoint[3]);
            responses.fieldNames().forEachRemaining(status -> {
                if (status.startsWith("4") || status.startsWith("5")) {
                    assertThat(responses.at("/" + status + "/content/application~1problem+json/schema/$ref").asText())
                            .as("%s %s %s", endpoint[0], endpoint[1], status)
                            .isEqualTo("#/components/schemas/Problem");
                    assertThat(responses.at("/" + status + "/description").asText()).isNotBlank();
                }
            });
        }
    }

    @Test
    void money_requests_document_the_amount_limits_and_required_fields() {
        for (String path : List.of(DEPOSITS, WITHDRAWALS)) {
            JsonNode body = operation("post", path).path("requestBody");
            assertThat(body.path("required").asBoolean()).isTrue();
            JsonNode schema = resolve(body.at("/content/application~1json/schema"));
            JsonNode amount = schema.at("/properties/amount");
            assertThat(amount.path("type").asText()).isEqualTo("integer");
            assertThat(amount.path("minimum").bigIntegerValue()).isEqualTo(BigInteger.ONE);
            assertThat(amount.path("maximum").bigIntegerValue()).isEqualTo(AMOUNT_MAX);
            assertThat(texts(schema.path("required"))).contains("amount", "currency");
            assertThat(schema.at("/properties/currency/type").asText()).isEqualTo("string");
            assertThat(schema.at("/properties/reference/maxLength").asInt()).isEqualTo(140);
        }
    }

    @Test
    void the_open_account_request_documents_its_fields_and_limits() {
        JsonNode body = operation("post", ACCOUNTS).path("requestBody");
        assertThat(body.path("required").asBoolean()).isTrue();
        JsonNode schema = resolve(body.at("/content/application~1json/schema"));
        assertThat(texts(schema.path("required"))).containsExactly("currency");
        assertThat(schema.at("/properties/accountId/pattern").asText()).isEqualTo("^[A-Za-z0-9_-]{1,64}$");
        JsonNode overdraft = schema.at("/properties/overdraftLimit");
        assertThat(overdraft.path("type").asText()).isEqualTo("integer");
        assertThat(overdraft.has("minimum")).isTrue();
        assertThat(overdraft.path("minimum").bigIntegerValue()).isEqualTo(BigInteger.ZERO);
        assertThat(overdraft.path("maximum").bigIntegerValue()).isEqualTo(AMOUNT_MAX);
        assertThat(overdraft.path("default").asLong(-1)).isZero();
    }

    @Test
    void the_response_shapes_carry_the_contract_fields() {
        assertThat(properties("AccountResponse"))
                .containsAll(List.of("accountId", "currency", "balance", "overdraftLimit", "version"));
        assertThat(properties("EntryResponse")).containsAll(List.of("accountId", "entryId", "type", "amount",
                "currency", "balance", "version", "reference"));
        assertThat(properties("EventsPage")).containsAll(List.of("items", "nextAfterVersion"));
        assertThat(properties("EventItem")).containsAll(List.of("version", "type", "amount", "currency",
                "balanceAfter", "occurredAt", "entryId", "transferId", "reference"));
        for (String integer : List.of("balance", "overdraftLimit", "version")) {
            assertThat(schema("AccountResponse").at("/properties/" + integer + "/type").asText()).isEqualTo("integer");
        }
    }

    @Test
    void the_problem_schema_lists_every_error_code_of_the_contract() {
        JsonNode problem = schema("Problem");
        assertThat(properties("Problem")).containsAll(List.of("type", "title", "status", "detail", "code"));
        assertThat(texts(problem.path("required"))).containsExactlyInAnyOrder("type", "title", "status", "detail",
                "code");
        assertThat(texts(problem.at("/properties/code/enum"))).containsExactlyElementsOf(CONTRACT_CODES);
        assertThat(Arrays.stream(ProblemCode.values()).map(ProblemCode::code).toList())
                .as("the codes the service can answer with").containsExactlyElementsOf(CONTRACT_CODES);
    }

    private JsonNode operation(String method, String path) {
        return document.path("paths").path(path).path(method);
    }

    private Set<String> methods(String path) {
        Set<String> methods = new TreeSet<>();
        document.path("paths").path(path).fieldNames().forEachRemaining(name -> {
            if (Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace").contains(name)) {
                methods.add(name);
            }
        });
        return methods;
    }

    private Set<String> responseCodes(String method, String path) {
        Set<String> codes = new TreeSet<>();
        operation(method, path).path("responses").fieldNames().forEachRemaining(codes::add);
        return codes;
    }

    private JsonNode parameter(JsonNode operation, String in, String name) {
        JsonNode parameter = parameterOrNull(operation, in, name);
        assertThat(parameter).as("%s parameter %s in %s", in, name, operation.path("operationId").asText())
                .isNotNull();
        return parameter;
    }

    private JsonNode parameterOrNull(JsonNode operation, String in, String name) {
        for (JsonNode parameter : operation.path("parameters")) {
            JsonNode resolved = resolve(parameter);
            if (resolved.path("in").asText().equals(in) && resolved.path("name").asText().equalsIgnoreCase(name)) {
                return resolved;
            }
        }
        return null;
    }

    private JsonNode schema(String name) {
        JsonNode schema = document.at("/components/schemas/" + name);
        assertThat(schema.isObject()).as("schema " + name).isTrue();
        return schema;
    }

    private List<String> properties(String schema) {
        List<String> names = new ArrayList<>();
        schema(schema).path("properties").fieldNames().forEachRemaining(names::add);
        return names;
    }

    /** Follows a local {@code $ref} such as {@code #/components/schemas/MoneyRequest}. */
    private JsonNode resolve(JsonNode node) {
        String ref = node.path("$ref").asText("");
        return ref.startsWith("#/") ? document.at(ref.substring(1)) : node;
    }

    private static List<String> texts(JsonNode array) {
        List<String> texts = new ArrayList<>();
        array.forEach(item -> texts.add(item.asText()));
        return texts;
    }
}
