package dev.ledger.api.web;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledger.api.problem.Problem;
import dev.ledger.api.problem.ProblemCode;
import dev.ledger.api.problem.ProblemException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reads the fields of a JSON object body strictly, collecting every problem before failing, so a
 * client learns all that is wrong with a request at once. Nothing is coerced: an amount must be a
 * JSON integer, never a float, exponent, string, boolean or null.
 */
public final class JsonFields {

    private final ObjectNode body;
    private final List<Map<String, String>> errors = new ArrayList<>();

    private JsonFields(ObjectNode body) {
        this.body = body;
    }

    /** Starts reading a body that must be a JSON object with no members but the allowed ones. */
    public static JsonFields of(JsonNode body, Set<String> allowed) {
        if (body == null || body.isMissingNode() || body.isNull()) {
            throw new ProblemException(ProblemCode.MALFORMED_REQUEST, "a JSON object body is required");
        }
        if (!body.isObject()) {
            throw new ProblemException(ProblemCode.VALIDATION_FAILED, "the body must be a JSON object");
        }
        JsonFields fields = new JsonFields((ObjectNode) body);
        for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!allowed.contains(name)) {
                fields.reject(name.length() > 64 ? name.substring(0, 64) : name, "is not a known field");
            }
        }
        return fields;
    }

    /** A required JSON integer within [min, max]. */
    public long requiredLong(String name, long min, long max) {
        JsonNode value = body.get(name);
        if (value == null || value.isNull()) {
            reject(name, "is required");
            return 0;
        }
        return integer(name, value, min, max);
    }

    /** An optional JSON integer within [min, max]; absent or null gives the default. */
    public long optionalLong(String name, long min, long max, long absent) {
        JsonNode value = body.get(name);
        if (value == null || value.isNull()) {
            return absent;
        }
        return integer(name, value, min, max);
    }

    /** A required string that the rule accepts. */
    public String requiredString(String name, Predicate<String> rule, String ruleText) {
        JsonNode value = body.get(name);
        if (value == null || value.isNull()) {
            reject(name, "is required");
            return null;
        }
        return string(name, value, rule, ruleText);
    }

    /** An optional string that the rule accepts; absent or null gives null. */
    public String optionalString(String name, Predicate<String> rule, String ruleText) {
        JsonNode value = body.get(name);
        if (value == null || value.isNull()) {
            return null;
        }
        return string(name, value, rule, ruleText);
    }

    /** Fails with 400 validation-failed listing every rejected field, if there is any. */
    public void requireValid() {
        if (!errors.isEmpty()) {
            String detail = errors.size() == 1
                    ? errors.get(0).get("field") + " " + errors.get(0).get("message")
                    : errors.size() + " fields are invalid";
            throw new ProblemException(Problem.of(ProblemCode.VALIDATION_FAILED, detail)
                    .withExtension("errors", List.copyOf(errors)));
        }
    }

    private long integer(String name, JsonNode value, long min, long max) {
        String range = "must be a JSON integer from " + min + " to " + max;
        if (!value.isIntegralNumber()) {
            reject(name, range);
            return 0;
        }
        BigInteger number = value.bigIntegerValue();
        if (number.compareTo(BigInteger.valueOf(min)) < 0 || number.compareTo(BigInteger.valueOf(max)) > 0) {
            reject(name, range);
            return 0;
        }
        return number.longValueExact();
    }

    private String string(String name, JsonNode value, Predicate<String> rule, String ruleText) {
        if (!value.isTextual() || !rule.test(value.textValue())) {
            reject(name, ruleText);
            return null;
        }
        return value.textValue();
    }

    private void reject(String field, String message) {
        Map<String, String> error = new LinkedHashMap<>();
        error.put("field", field);
        error.put("message", message);
        errors.add(error);
    }
}
