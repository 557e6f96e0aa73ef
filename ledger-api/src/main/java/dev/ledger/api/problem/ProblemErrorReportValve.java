package dev.ledger.api.problem;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

/**
 * Renders the errors that Tomcat answers by itself, without ever dispatching to the application's
 * {@code /error} page, as problem details too: chiefly a request that is not valid HTTP (a header
 * value with a control character, a malformed request line), which Tomcat refuses with 400 while
 * parsing it. Its own report is an HTML page, which the contract does not allow.
 */
final class ProblemErrorReportValve extends ErrorReportValve {

    private final Problems problems;

    ProblemErrorReportValve(Problems problems) {
        this.problems = problems;
        setShowReport(false);
        setShowServerInfo(false);
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(false);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        Problem problem = ProblemErrorController.problemFor(status);
        try {
            response.setContentType(MediaType.APPLICATION_PROBLEM_JSON_VALUE);
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            problems.headers(problem).forEach((name, value) -> {
                if (!HttpHeaders.CONTENT_TYPE.equalsIgnoreCase(name)) {
                    response.setHeader(name, value);
                }
            });
            PrintWriter writer = response.getReporter();
            if (writer != null) {
                writer.write(new String(problems.body(problem), StandardCharsets.UTF_8));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException cannotWrite) {
            // The connection is going away; there is nobody left to read the report.
        }
    }
}
