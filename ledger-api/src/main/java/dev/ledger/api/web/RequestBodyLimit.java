package dev.ledger.api.web;

import dev.ledger.api.problem.Problem;
import dev.ledger.api.problem.ProblemCode;
import dev.ledger.api.problem.ProblemException;
import dev.ledger.api.problem.Problems;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Caps request bodies (default 16 KiB, {@code ledger.http.max-request-body}): no request of the
 * contract comes near it, and JSON parsers read whatever they are given. A body declared larger
 * is refused with 413 payload-too-large before it is read; a chunked body is cut off and refused
 * the same way as soon as it grows past the cap.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class RequestBodyLimit extends OncePerRequestFilter {

    private final long maxBytes;
    private final Problems problems;

    RequestBodyLimit(@Value("${ledger.http.max-request-body:16KB}") DataSize maxRequestBody, Problems problems) {
        if (maxRequestBody.toBytes() < 1) {
            throw new IllegalArgumentException("ledger.http.max-request-body must be positive");
        }
        this.maxBytes = maxRequestBody.toBytes();
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getContentLengthLong() > maxBytes) {
            problems.write(response, tooLarge());
            return;
        }
        chain.doFilter(new Capped(request), response);
    }

    private Problem tooLarge() {
        return Problem.of(ProblemCode.PAYLOAD_TOO_LARGE, "request bodies are limited to " + maxBytes + " bytes");
    }

    /** The request with a body stream that refuses to read past the cap. */
    private final class Capped extends HttpServletRequestWrapper {

        private ServletInputStream capped;

        Capped(HttpServletRequest request) {
            super(request);
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (capped == null) {
                capped = new CappedStream(super.getInputStream());
            }
            return capped;
        }
    }

    private final class CappedStream extends ServletInputStream {

        private final ServletInputStream body;
        private long read;

        CappedStream(ServletInputStream body) {
            this.body = body;
        }

        @Override
        public int read() throws IOException {
            int next = body.read();
            if (next >= 0) {
                count(1);
            }
            return next;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            int n = body.read(buffer, offset, length);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        /** Unchecked, so that no parser or converter can mistake it for malformed input. */
        private void count(int bytes) {
            read += bytes;
            if (read > maxBytes) {
                throw new ProblemException(tooLarge());
            }
        }

        @Override
        public boolean isFinished() {
            return body.isFinished();
        }

        @Override
        public boolean isReady() {
            return body.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            body.setReadListener(listener);
        }
    }
}
