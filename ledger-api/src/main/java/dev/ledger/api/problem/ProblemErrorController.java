package dev.ledger.api.problem;

import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.web.servlet.error.ErrorController;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * Answers errors raised before a request reaches a controller (the servlet container refusing a
 * URL, a filter failing) with a problem body too, instead of the framework's own error page.
 */
@RestController
class ProblemErrorController implements ErrorController {

    private final Problems problems;

    ProblemErrorController(Problems problems) {
        this.problems = problems;
    }

    @RequestMapping("/error")
    ResponseEntity<byte[]> error(HttpServletRequest request) {
        Object attribute = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        int status = attribute instanceof Integer code ? code : 500;
        Problem problem = switch (status) {
            case 404 -> Problem.of(ProblemCode.NOT_FOUND, "no such resource");
            case 405 -> Problem.of(ProblemCode.METHOD_NOT_ALLOWED, "this resource does not support that method");
            case 413 -> Problem.of(ProblemCode.PAYLOAD_TOO_LARGE, "the request body is too large");
            case 415 -> Problem.of(ProblemCode.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json");
            default -> status >= 500
                    ? Problem.of(ProblemCode.INTERNAL_ERROR, "an unexpected error occurred")
                    : Problem.of(ProblemCode.MALFORMED_REQUEST, "the request could not be understood")
                    .withStatus(status >= 400 ? status : 400);
        };
        return problems.response(problem);
    }
}
