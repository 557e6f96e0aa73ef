package dev.ledger.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a deposit's time went inside the service during a phase, from two of its histograms
 * scraped at the phase's start and end: {@code ledger_commands_answer_seconds} (a write's time with
 * the writer threads, from its queueing to its answer: the wait for the groups ahead of it and its
 * own group's transaction) and {@code ledger_commands_commit_seconds} (a write transaction's last
 * round trip to PostgreSQL: its rows, the checks sent with them and its commit, the WAL flush
 * included). Set beside the load generator's latency, they say how much of a phase's p99 the
 * writers account for, and how much of that is PostgreSQL's commit. Their buckets are fixed, so
 * each figure is the upper bound of the bucket its quantile falls in.
 */
final class WriterTimes {

    static final String ANSWER_METRIC = "ledger_commands_answer_seconds";
    static final String COMMIT_METRIC = "ledger_commands_commit_seconds";

    /** Both histograms as one scrape had them. */
    record Snapshot(Prometheus.Buckets answers, Prometheus.Buckets commits) {
    }

    private WriterTimes() {
    }

    /** Both histograms out of a scrape; null when the service has neither (an older service). */
    static Snapshot parse(String scrape) {
        Prometheus.Buckets answers = Prometheus.parse(scrape, ANSWER_METRIC);
        Prometheus.Buckets commits = Prometheus.parse(scrape, COMMIT_METRIC);
        return answers.isEmpty() && commits.isEmpty() ? null : new Snapshot(answers, commits);
    }

    /**
     * The phase's figures, in milliseconds (bucket upper bounds), and the writes answered per
     * commit; empty when either snapshot is missing or nothing was committed in between.
     */
    static Map<String, Object> usage(Snapshot before, Snapshot after) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (before == null || after == null) {
            return m;
        }
        Prometheus.Buckets answers = after.answers().minus(before.answers());
        Prometheus.Buckets commits = after.commits().minus(before.commits());
        if (answers.total() <= 0 || commits.total() <= 0) {
            return m;
        }
        m.put("answers", (long) answers.total());
        m.put("answerP50Millis", Bench.millis(answers.quantileUpperBound(0.50)));
        m.put("answerP99Millis", Bench.millis(answers.quantileUpperBound(0.99)));
        m.put("commits", (long) commits.total());
        m.put("commitP50Millis", Bench.millis(commits.quantileUpperBound(0.50)));
        m.put("commitP99Millis", Bench.millis(commits.quantileUpperBound(0.99)));
        m.put("commitMeanMillis", Bench.round(commits.sum() / commits.total() * 1000, 3));
        m.put("writesPerCommit", Bench.round(answers.total() / commits.total(), 2));
        return m;
    }
}
