package dev.ledger.support;

import java.util.Locale;

/**
 * The development API keys the tests authenticate with (the test application configures no keys,
 * so the development keys are the ones accepted): the admin's for admin resources, the payment
 * frontend's for everything else.
 */
public final class TestKeys {

    public static final String PAYMENTS = "dev-payments-key";
    public static final String AUDITOR = "dev-auditor-key";
    public static final String ADMIN = "dev-admin-key";

    /** The client id the payments key authenticates as; idempotency keys are scoped to it. */
    public static final String PAYMENTS_CLIENT = "dev-payments";

    private TestKeys() {
    }

    /** The key a well-behaved client with every role it needs would send for this request. */
    public static String forPath(String path) {
        String lower = path.toLowerCase(Locale.ROOT);
        if (lower.startsWith("/api/v1/admin") || lower.startsWith("/api/v1/reconciliations")
                || lower.startsWith("/actuator")) {
            return ADMIN;
        }
        return PAYMENTS;
    }

    public static String bearer(String path) {
        return "Bearer " + forPath(path);
    }
}
