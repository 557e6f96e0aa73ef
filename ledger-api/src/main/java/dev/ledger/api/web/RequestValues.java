package dev.ledger.api.web;

import dev.ledger.api.problem.Problem;
import dev.ledger.api.problem.ProblemCode;
import dev.ledger.api.problem.ProblemException;
import dev.ledger.domain.account.AccountIds;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Checks the parts of a request outside its body: path ids, query parameters, preconditions. */
public final class RequestValues {

    private static final Pattern DIGITS = Pattern.compile("0|[1-9][0-9]{0,17}");
    private static final Pattern QUOTED_VERSION = Pattern.compile("\"(0|[1-9][0-9]{0,17})\"");

    private RequestValues() {
    }

    /** What an account or transfer id must look like, as validation errors say it. */
    public static final String IDENTIFIER_RULE = "must be 1 to " + AccountIds.LENGTH_MAX
            + " characters from [A-Za-z0-9_-]";

    public static final String CURRENCY_RULE = "must be an ISO 4217 alphabetic code such as EUR";

    /** The longest reference a client may attach to an entry or a transfer. */
    public static final int REFERENCE_LENGTH_MAX = 140;

    public static final String REFERENCE_RULE = "must be text of at most " + REFERENCE_LENGTH_MAX
            + " characters without control characters";

    public static String accountId(String raw) {
        return identifier("accountId", raw);
    }

    /** An account or transfer id from a path: 1 to 64 characters from {@code [A-Za-z0-9_-]}. */
    public static String identifier(String name, String raw) {
        if (!AccountIds.isValid(raw)) {
            throw invalid(name, IDENTIFIER_RULE);
        }
        return raw;
    }

    public static boolean isReference(String text) {
        return text.codePointCount(0, text.length()) <= REFERENCE_LENGTH_MAX
                && text.codePoints().noneMatch(Character::isISOControl);
    }

    /** A decimal query parameter within [min, max], or the default when it is absent. */
    public static long longParameter(String name, String raw, long min, long max, long absent) {
        if (raw == null) {
            return absent;
        }
        if (!DIGITS.matcher(raw).matches()) {
            throw invalid(name, "must be a whole number from " + min + " to " + max);
        }
        long value = Long.parseLong(raw);
        if (value < min || value > max) {
            throw invalid(name, "must be a whole number from " + min + " to " + max);
        }
        return value;
    }

    /**
     * The version an {@code If-Match: "<version>"} header pins, or null when there is no header or
     * it is {@code *} (any current version).
     */
    public static Long ifMatchVersion(String raw) {
        if (raw == null || raw.trim().equals("*")) {
            return null;
        }
        Matcher matcher = QUOTED_VERSION.matcher(raw.trim());
        if (!matcher.matches()) {
            throw invalid("If-Match", "must be a quoted account version such as \"3\"");
        }
        return Long.parseLong(matcher.group(1));
    }

    private static ProblemException invalid(String field, String message) {
        return new ProblemException(Problem.of(ProblemCode.VALIDATION_FAILED, field + " " + message)
                .withExtension("errors", List.of(Map.of("field", field, "message", message))));
    }
}
