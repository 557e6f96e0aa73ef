package dev.ledger.api.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.api.problem.Problem;
import dev.ledger.api.problem.Problems;
import dev.ledger.domain.LedgerRuleViolation;
import dev.ledger.domain.account.InvalidAccountIdException;
import dev.ledger.domain.money.InvalidAmountException;
import dev.ledger.domain.money.InvalidCurrencyException;
import dev.ledger.infra.inbox.StoredResponse;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;

/** Renders the answers that the inbox stores for idempotent writes. */
@Component
public class Answers {

    private final ObjectMapper json;
    private final Problems problems;

    Answers(ObjectMapper json, Problems problems) {
        this.json = json;
        this.problems = problems;
    }

    /**
     * Runs a write and renders its answer. Refusals that depend on the ledger's state are answers,
     * stored and replayed like successes. Refusals of malformed input are not: validation should
     * have caught them before any command ran, and they must leave nothing behind, so they
     * propagate and roll the transaction back.
     */
    public StoredResponse answer(Supplier<StoredResponse> work) {
        try {
            return work.get();
        } catch (InvalidAmountException | InvalidCurrencyException | InvalidAccountIdException malformed) {
            throw malformed;
        } catch (LedgerRuleViolation refusal) {
            Problem problem = Problems.of(refusal);
            return new StoredResponse(problem.status(), problems.headers(problem), problems.body(problem));
        }
    }

    /** A JSON answer with the given status and extra headers (location, entity tag). */
    public StoredResponse json(int status, Object body, Map<String, String> extraHeaders) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_JSON_VALUE);
        headers.putAll(extraHeaders);
        try {
            return new StoredResponse(status, headers, json.writeValueAsBytes(body));
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException("response records always serialize", impossible);
        }
    }
}
