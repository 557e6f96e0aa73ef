package dev.ledger.api.problem;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * One RFC 9457 problem: a code from the contract, a sentence for people, and any extra members
 * (such as {@code currentVersion} or {@code errors}) and headers (such as {@code Retry-After}).
 */
public record Problem(ProblemCode code, int status, String detail, Map<String, Object> extensions,
                      Map<String, String> headers) {

    public Problem {
        Objects.requireNonNull(code, "code");
        Objects.requireNonNull(detail, "detail");
        extensions = Map.copyOf(extensions);
        headers = Map.copyOf(headers);
    }

    public static Problem of(ProblemCode code, String detail) {
        return new Problem(code, code.status(), detail, Map.of(), Map.of());
    }

    public Problem withExtension(String name, Object value) {
        Map<String, Object> more = new LinkedHashMap<>(extensions);
        more.put(name, value);
        return new Problem(code, status, detail, more, headers);
    }

    /** The same problem answered with another status than its code's usual one. */
    public Problem withStatus(int otherStatus) {
        return new Problem(code, otherStatus, detail, extensions, headers);
    }

    public Problem withHeader(String name, String value) {
        Map<String, String> more = new LinkedHashMap<>(headers);
        more.put(name, value);
        return new Problem(code, status, detail, extensions, more);
    }
}
