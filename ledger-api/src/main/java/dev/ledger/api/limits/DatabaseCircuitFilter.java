package dev.ledger.api.limits;

import dev.ledger.api.problem.DatabaseFailures;
import dev.ledger.api.problem.Problem;
import dev.ledger.api.problem.ProblemCode;
import dev.ledger.api.problem.Problems;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Puts the API behind the database circuit breaker. While it is open, requests are answered at
 * once with 503 overloaded and Retry-After instead of each waiting for a connection that will not
 * come; every request that passes reports back whether it failed for want of the database.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 2)
class DatabaseCircuitFilter extends OncePerRequestFilter {

    private final CircuitBreaker breaker;
    private final Problems problems;
    private final String retryAfterSeconds;

    DatabaseCircuitFilter(CircuitBreaker databaseCircuitBreaker, Problems problems, LimitsProperties limits) {
        this.breaker = databaseCircuitBreaker;
        this.problems = problems;
        this.retryAfterSeconds = String.valueOf(Math.max(1, limits.databaseOpenWait().toSeconds()));
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        return !request.getRequestURI().startsWith("/api/");
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (!breaker.tryAcquirePermission()) {
            problems.write(response, Problem.of(ProblemCode.OVERLOADED,
                            "the ledger's database is unavailable; nothing was written, retry later")
                    .withHeader(HttpHeaders.RETRY_AFTER, retryAfterSeconds));
            return;
        }
        long started = System.nanoTime();
        boolean failed = true;
        try {
            chain.doFilter(request, response);
            failed = Boolean.TRUE.equals(request.getAttribute(DatabaseFailures.FAILED_ATTRIBUTE));
        } finally {
            long elapsed = System.nanoTime() - started;
            if (failed) {
                breaker.onError(elapsed, TimeUnit.NANOSECONDS, new IllegalStateException("database unavailable"));
            } else {
                breaker.onSuccess(elapsed, TimeUnit.NANOSECONDS);
            }
        }
    }
}
