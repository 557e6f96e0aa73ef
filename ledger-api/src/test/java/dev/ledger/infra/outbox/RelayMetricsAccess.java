package dev.ledger.infra.outbox;

/** For tests in other packages: what {@link RelayMetrics} keeps to its own package. */
public final class RelayMetricsAccess {

    private RelayMetricsAccess() {
    }

    /** {@link RelayMetrics#logNextSlowRound()}. */
    public static void logNextSlowRound(RelayMetrics metrics) {
        metrics.logNextSlowRound();
    }
}
