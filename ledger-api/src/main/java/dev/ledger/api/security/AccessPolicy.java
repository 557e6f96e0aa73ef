package dev.ledger.api.security;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Which roles may call what. Decided on the normalized path before any controller runs, and
 * conservatively: anything under an {@code admin} segment or {@code /actuator} (health aside)
 * is the admin's, reads are everyone's, every other write is the payment frontends'.
 */
final class AccessPolicy {

    static final Set<Role> EVERYONE = EnumSet.allOf(Role.class);

    private AccessPolicy() {
    }

    /** True for the one public resource: the health check. */
    static boolean isPublic(String path) {
        return path.equals("/actuator/health") || path.startsWith("/actuator/health/");
    }

    static Set<Role> allowed(String method, String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        if (lower.startsWith("/actuator") || lower.equals("/api/v1/reconciliations")
                || lower.startsWith("/api/v1/reconciliations/") || hasSegment(lower, "admin")) {
            return EnumSet.of(Role.ADMIN);
        }
        if (method.equals("GET") || method.equals("HEAD")) {
            return EVERYONE;
        }
        return EnumSet.of(Role.PAYMENTS);
    }

    private static boolean hasSegment(String path, String segment) {
        for (String part : path.split("/")) {
            if (part.equals(segment)) {
                return true;
            }
        }
        return false;
    }
}
