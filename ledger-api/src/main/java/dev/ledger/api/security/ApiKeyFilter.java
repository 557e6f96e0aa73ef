package dev.ledger.api.security;

import dev.ledger.api.problem.Problem;
import dev.ledger.api.problem.ProblemCode;
import dev.ledger.api.problem.Problems;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Optional;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Authenticates every request but the health check with {@code Authorization: Bearer <key>} and
 * checks the client's role, before anything else reads the request: 401 {@code unauthorized}
 * without a known key, 403 {@code forbidden} without the role. The key itself is never logged.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ApiKeyFilter extends OncePerRequestFilter {

    /** The request attribute that holds the authenticated {@link Client}. */
    public static final String CLIENT_ATTRIBUTE = ApiKeyFilter.class.getName() + ".client";

    private static final String BEARER = "Bearer ";
    private static final int KEY_LENGTH_MAX = 512;

    private final ApiKeys keys;
    private final Problems problems;

    ApiKeyFilter(ApiKeys keys, Problems problems) {
        this.keys = keys;
        this.problems = problems;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        if (AccessPolicy.isPublic(path)) {
            chain.doFilter(request, response);
            return;
        }
        Optional<Client> client = bearerKey(request).flatMap(keys::authenticate);
        if (client.isEmpty()) {
            problems.write(response, Problem.of(ProblemCode.UNAUTHORIZED,
                            "send a valid API key as Authorization: Bearer <key>")
                    .withHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"ledger\""));
            return;
        }
        if (!AccessPolicy.allowed(request.getMethod(), path).contains(client.get().role())) {
            problems.write(response, Problem.of(ProblemCode.FORBIDDEN,
                    "this API key's role may not " + request.getMethod() + " this resource"));
            return;
        }
        request.setAttribute(CLIENT_ATTRIBUTE, client.get());
        chain.doFilter(request, response);
    }

    private static Optional<String> bearerKey(HttpServletRequest request) {
        String header = request.getHeader(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return Optional.empty();
        }
        String key = header.substring(BEARER.length()).trim();
        return key.isEmpty() || key.length() > KEY_LENGTH_MAX ? Optional.empty() : Optional.of(key);
    }
}
