package dev.ledger.api.problem;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledger.domain.LedgerRuleViolation;
import dev.ledger.domain.account.AccountAlreadyExistsException;
import dev.ledger.domain.account.AccountNotFoundException;
import dev.ledger.domain.account.CurrencyMismatchException;
import dev.ledger.domain.account.InsufficientFundsException;
import dev.ledger.domain.account.SameAccountTransferException;
import dev.ledger.domain.account.TransferAlreadyExistsException;
import dev.ledger.domain.account.TransferNotFoundException;
import dev.ledger.domain.account.VersionConflictException;
import dev.ledger.domain.money.BalanceOverflowException;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;

/** Renders problems as {@code application/problem+json}, and maps refused commands to problems. */
@Component
public class Problems {

    private final ObjectMapper json;

    Problems(ObjectMapper json) {
        this.json = json;
    }

    /** The body members in the contract's order, then the extensions. */
    public byte[] body(Problem problem) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", problem.code().type());
        body.put("title", problem.code().title());
        body.put("status", problem.status());
        body.put("detail", problem.detail());
        body.put("code", problem.code().code());
        problem.extensions().forEach(body::putIfAbsent);
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException impossible) {
            throw new IllegalStateException("a problem body always serializes", impossible);
        }
    }

    /** The headers of a problem response, content type included. */
    public Map<String, String> headers(Problem problem) {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(HttpHeaders.CONTENT_TYPE, MediaType.APPLICATION_PROBLEM_JSON_VALUE);
        headers.putAll(problem.headers());
        return headers;
    }

    /** Writes a problem straight to a servlet response, for filters that answer before any controller. */
    public void write(HttpServletResponse response, Problem problem) throws IOException {
        response.setStatus(problem.status());
        headers(problem).forEach(response::setHeader);
        response.getOutputStream().write(body(problem));
    }

    public ResponseEntity<byte[]> response(Problem problem) {
        ResponseEntity.BodyBuilder builder = ResponseEntity.status(problem.status());
        headers(problem).forEach(builder::header);
        return builder.body(body(problem));
    }

    /**
     * The problem for an error status raised outside the controllers (by the servlet container or
     * a filter), where nothing more than the status is known.
     */
    public static Problem forStatus(int status) {
        return switch (status) {
            case 404 -> Problem.of(ProblemCode.NOT_FOUND, "no such resource");
            case 405 -> Problem.of(ProblemCode.METHOD_NOT_ALLOWED, "this resource does not support that method");
            case 413 -> Problem.of(ProblemCode.PAYLOAD_TOO_LARGE, "the request body is too large");
            case 415 -> Problem.of(ProblemCode.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json");
            case 503 -> Problem.of(ProblemCode.OVERLOADED, "the service is unavailable; retry later")
                    .withHeader(HttpHeaders.RETRY_AFTER, "1");
            default -> status >= 500
                    ? Problem.of(ProblemCode.INTERNAL_ERROR, "an unexpected error occurred")
                    : Problem.of(ProblemCode.MALFORMED_REQUEST, "the request could not be understood")
                    .withStatus(status >= 400 ? status : 400);
        };
    }

    /**
     * A command refused by a business rule, as the client will see it. Refusals that depend on the
     * ledger's state are answers (stored for idempotent replay); refusals of malformed input are
     * not produced here but by validation before any command runs.
     */
    public static Problem of(LedgerRuleViolation refusal) {
        if (refusal instanceof AccountNotFoundException) {
            return Problem.of(ProblemCode.ACCOUNT_NOT_FOUND, refusal.getMessage());
        }
        if (refusal instanceof AccountAlreadyExistsException) {
            return Problem.of(ProblemCode.ACCOUNT_EXISTS, refusal.getMessage());
        }
        if (refusal instanceof SameAccountTransferException) {
            return Problem.of(ProblemCode.SAME_ACCOUNT, refusal.getMessage());
        }
        if (refusal instanceof TransferAlreadyExistsException) {
            return Problem.of(ProblemCode.TRANSFER_EXISTS, refusal.getMessage());
        }
        if (refusal instanceof TransferNotFoundException) {
            return Problem.of(ProblemCode.TRANSFER_NOT_FOUND, refusal.getMessage());
        }
        if (refusal instanceof InsufficientFundsException) {
            return Problem.of(ProblemCode.INSUFFICIENT_FUNDS, refusal.getMessage());
        }
        if (refusal instanceof CurrencyMismatchException mismatch) {
            return Problem.of(ProblemCode.CURRENCY_MISMATCH, refusal.getMessage())
                    .withExtension("accountCurrency", mismatch.accountCurrency());
        }
        if (refusal instanceof VersionConflictException conflict) {
            return Problem.of(ProblemCode.VERSION_CONFLICT, refusal.getMessage())
                    .withExtension("currentVersion", conflict.currentVersion())
                    .withHeader(HttpHeaders.ETAG, "\"" + conflict.currentVersion() + "\"");
        }
        if (refusal instanceof BalanceOverflowException) {
            // Well-formed input that this account's balance cannot absorb: a refusal, not bad syntax.
            return Problem.of(ProblemCode.VALIDATION_FAILED, refusal.getMessage()).withStatus(422);
        }
        return Problem.of(ProblemCode.VALIDATION_FAILED, refusal.getMessage());
    }
}
