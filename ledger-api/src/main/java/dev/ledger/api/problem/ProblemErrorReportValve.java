package dev.ledger.api.problem;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.apache.coyote.ActionCode;
import org.springframework.http.HttpHeaders;

/**
 * Tomcat's last word on an error no servlet answered: a URL the container refuses before Spring
 * sees it (an encoded slash or NUL, a malformed request line) gets an {@code application/problem+json}
 * body like every other error, instead of Tomcat's HTML page. Nothing of the failure is echoed.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

    private final Problems problems = new Problems(new ObjectMapper());

    public ProblemErrorReportValve() {
        setShowReport(false);
        setShowServerInfo(false);
    }

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        AtomicBoolean ioAllowed = new AtomicBoolean(true);
        response.getCoyoteResponse().action(ActionCode.IS_IO_ALLOWED, ioAllowed);
        if (!ioAllowed.get()) {
            return;
        }
        Problem problem = Problems.forStatus(status).withStatus(status);
        try {
            response.resetBuffer();
            problems.headers(problem).forEach((name, value) -> {
                if (!name.equalsIgnoreCase(HttpHeaders.CONTENT_TYPE)) {
                    response.setHeader(name, value);
                }
            });
            response.setContentType(problems.headers(problem).get(HttpHeaders.CONTENT_TYPE));
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(new String(problems.body(problem), StandardCharsets.UTF_8));
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException ignored) {
            // The client is gone or the response already went out: there is no one left to tell.
        }
    }
}
