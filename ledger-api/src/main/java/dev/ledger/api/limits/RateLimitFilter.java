package dev.ledger.api.limits;

import dev.ledger.api.problem.Problem;
import dev.ledger.api.problem.ProblemCode;
import dev.ledger.api.problem.Problems;
import dev.ledger.api.security.ApiKeyFilter;
import dev.ledger.api.security.Client;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/** Each client gets its own request budget per second; past it, 429 rate-limited with Retry-After. */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
class RateLimitFilter extends OncePerRequestFilter {

    private final RateLimiterRegistry limiters;
    private final Problems problems;

    RateLimitFilter(RateLimiterRegistry limiters, Problems problems) {
        this.limiters = limiters;
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (request.getAttribute(ApiKeyFilter.CLIENT_ATTRIBUTE) instanceof Client client
                && !limiters.rateLimiter(client.id()).acquirePermission()) {
            problems.write(response, Problem.of(ProblemCode.RATE_LIMITED,
                            "too many requests from this client; slow down")
                    .withHeader(HttpHeaders.RETRY_AFTER, "1"));
            return;
        }
        chain.doFilter(request, response);
    }
}
