package dev.ledger.api.problem;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonLocation;
import dev.ledger.domain.LedgerRuleViolation;
import dev.ledger.infra.command.AccountBusyException;
import dev.ledger.infra.command.DatabaseUnavailable;
import dev.ledger.infra.command.WriteConflictException;
import dev.ledger.infra.inbox.IdempotencyKeyInFlightException;
import dev.ledger.infra.inbox.IdempotencyKeyReusedException;
import io.github.resilience4j.bulkhead.BulkheadFullException;
import jakarta.servlet.http.HttpServletRequest;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.TypeMismatchException;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.transaction.CannotCreateTransactionException;
import org.springframework.web.bind.MissingRequestValueException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;

/**
 * Turns every failure into an RFC 9457 problem with one of the contract's codes. Details are
 * written for clients: they never carry a stack trace, SQL or a class name. Unexpected failures
 * are logged with an incident id that the response repeats.
 */
@RestControllerAdvice
class ProblemHandler extends ResponseEntityExceptionHandler {

    private static final Logger log = LoggerFactory.getLogger(ProblemHandler.class);
    private static final String RETRY_AFTER_SECONDS = "1";

    private final Problems problems;

    ProblemHandler(Problems problems) {
        this.problems = problems;
    }

    @ExceptionHandler(ProblemException.class)
    ResponseEntity<byte[]> problem(ProblemException failure) {
        return problems.response(failure.problem());
    }

    @ExceptionHandler(LedgerRuleViolation.class)
    ResponseEntity<byte[]> refused(LedgerRuleViolation refusal) {
        return problems.response(Problems.of(refusal));
    }

    @ExceptionHandler(IdempotencyKeyInFlightException.class)
    ResponseEntity<byte[]> inFlight(IdempotencyKeyInFlightException failure) {
        return problems.response(Problem.of(ProblemCode.IDEMPOTENCY_KEY_IN_FLIGHT, failure.getMessage())
                .withHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS));
    }

    @ExceptionHandler(IdempotencyKeyReusedException.class)
    ResponseEntity<byte[]> reused(IdempotencyKeyReusedException failure) {
        return problems.response(Problem.of(ProblemCode.IDEMPOTENCY_KEY_REUSED, failure.getMessage()));
    }

    @ExceptionHandler({AccountBusyException.class, WriteConflictException.class})
    ResponseEntity<byte[]> busy(RuntimeException failure) {
        log.warn("Write refused under contention: {}", failure.getMessage());
        return problems.response(Problem.of(ProblemCode.OVERLOADED,
                        "the account is too busy right now; retry with the same Idempotency-Key")
                .withHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS));
    }

    @ExceptionHandler({CannotCreateTransactionException.class, DataAccessResourceFailureException.class})
    ResponseEntity<byte[]> databaseUnavailable(RuntimeException failure, HttpServletRequest request) {
        log.warn("Database unavailable: {}", failure.getMessage());
        request.setAttribute(DatabaseFailures.FAILED_ATTRIBUTE, Boolean.TRUE);
        // Without a transaction nothing can have been written. A connection lost later, up to the
        // commit itself, leaves the outcome unknown: the commit may have reached the database.
        String detail = failure instanceof CannotCreateTransactionException
                ? "the ledger's database is unavailable; nothing was written, retry later"
                : "the ledger's database became unavailable during the request; a write may or may not have"
                + " taken effect: retry it with the same Idempotency-Key, which applies it at most once";
        return problems.response(Problem.of(ProblemCode.OVERLOADED, detail)
                .withHeader(HttpHeaders.RETRY_AFTER, "5"));
    }

    @ExceptionHandler(BulkheadFullException.class)
    ResponseEntity<byte[]> tooManyCommands(BulkheadFullException failure) {
        return problems.response(Problem.of(ProblemCode.OVERLOADED,
                        "too many writes in progress; retry with the same Idempotency-Key")
                .withHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS));
    }

    @ExceptionHandler(Exception.class)
    ResponseEntity<byte[]> unexpected(Exception failure, HttpServletRequest request) {
        if (failure instanceof RuntimeException runtime && DatabaseUnavailable.isUnavailable(failure)) {
            return databaseUnavailable(runtime, request);
        }
        String incident = UUID.randomUUID().toString();
        log.error("Unexpected failure, incident {}", incident, failure);
        return problems.response(Problem.of(ProblemCode.INTERNAL_ERROR,
                "an unexpected error occurred; nothing was written (incident " + incident + ")"));
    }

    /** Spring MVC's own failures: unknown routes, wrong methods, unreadable bodies and the like. */
    @Override
    protected ResponseEntity<Object> handleExceptionInternal(Exception failure, Object body, HttpHeaders headers,
                                                             HttpStatusCode status, WebRequest request) {
        Problem problem = switch (status.value()) {
            case 400 -> badRequest(failure);
            case 404 -> Problem.of(ProblemCode.NOT_FOUND, "no such resource");
            case 405 -> Problem.of(ProblemCode.METHOD_NOT_ALLOWED, "this resource does not support that method");
            // The contract has no code of its own for an unacceptable Accept header; the status stays 406.
            case 406 -> Problem.of(ProblemCode.UNSUPPORTED_MEDIA_TYPE, "responses are application/json only")
                    .withStatus(406);
            case 413 -> Problem.of(ProblemCode.PAYLOAD_TOO_LARGE, "the request body is too large");
            case 415 -> Problem.of(ProblemCode.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json");
            case 503 -> Problem.of(ProblemCode.OVERLOADED, "the service is overloaded; retry later")
                    .withHeader(HttpHeaders.RETRY_AFTER, RETRY_AFTER_SECONDS);
            default -> {
                if (status.is5xxServerError()) {
                    log.error("Request failed with {}", status.value(), failure);
                    yield Problem.of(ProblemCode.INTERNAL_ERROR, "an unexpected error occurred");
                }
                yield Problem.of(ProblemCode.MALFORMED_REQUEST, "the request could not be understood")
                        .withStatus(status.value());
            }
        };
        HttpHeaders merged = new HttpHeaders();
        if (headers != null) {
            merged.putAll(headers);
        }
        problems.headers(problem).forEach(merged::set);
        return new ResponseEntity<>(problems.body(problem), merged, problem.status());
    }

    private static Problem badRequest(Exception failure) {
        if (failure instanceof TypeMismatchException || failure instanceof MissingRequestValueException) {
            return Problem.of(ProblemCode.VALIDATION_FAILED, "a parameter is missing or has the wrong type");
        }
        if (failure instanceof HttpMessageNotReadableException unreadable
                && unreadable.getCause() instanceof JsonProcessingException json && json.getLocation() != null) {
            JsonLocation at = json.getLocation();
            return Problem.of(ProblemCode.MALFORMED_REQUEST, "the request body is not well-formed JSON (line "
                    + at.getLineNr() + ", column " + at.getColumnNr() + ")");
        }
        return Problem.of(ProblemCode.MALFORMED_REQUEST, "the request body is missing or is not well-formed JSON");
    }
}
