package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class WriterTimesTest {

    private static final String[] LES = {"0.001", "0.002", "0.005", "0.01", "+Inf"};

    /** A scrape with both histograms, each given as cumulative counts per bucket of {@link #LES}, and its sum. */
    static String scrape(long[] answers, double answerSum, long[] commits, double commitSum) {
        return histogram(WriterTimes.ANSWER_METRIC, answers, answerSum)
                + histogram(WriterTimes.COMMIT_METRIC, commits, commitSum)
                + "ledger_commands_batch_size_count 12.0\n";
    }

    private static String histogram(String name, long[] cumulative, double sum) {
        StringBuilder s = new StringBuilder("# TYPE " + name + " histogram\n");
        for (int i = 0; i < LES.length; i++) {
            s.append(name).append("_bucket{le=\"").append(LES[i]).append("\"} ").append(cumulative[i]).append('\n');
        }
        s.append(name).append("_count ").append(cumulative[LES.length - 1]).append('\n');
        s.append(name).append("_sum ").append(sum).append('\n');
        return s.toString();
    }

    @Test
    void thePhasesFiguresAreTheDifferenceOfTwoScrapes() {
        WriterTimes.Snapshot before = WriterTimes.parse(scrape(new long[] {10, 10, 10, 10, 10}, 0.005,
                new long[] {5, 5, 5, 5, 5}, 0.002));
        // In between: 100 writes answered (90 within 2 ms, 8 more within 5 ms, 2 within 10 ms) by
        // 25 commits (20 within 1 ms, the other 5 within 5 ms) taking 0.05 s together.
        WriterTimes.Snapshot after = WriterTimes.parse(scrape(new long[] {10, 100, 108, 110, 110}, 0.2,
                new long[] {25, 25, 30, 30, 30}, 0.052));

        Map<String, Object> m = WriterTimes.usage(before, after);

        assertThat(m).containsEntry("answers", 100L).containsEntry("answerP50Millis", 2.0)
                .containsEntry("answerP99Millis", 10.0).containsEntry("commits", 25L)
                .containsEntry("commitP50Millis", 1.0).containsEntry("commitP99Millis", 5.0)
                .containsEntry("commitMeanMillis", 2.0).containsEntry("writesPerCommit", 4.0);
    }

    @Test
    void nothingIsReportedWithoutTheHistogramsOrWithoutACommit() {
        assertThat(WriterTimes.parse("ledger_commands_batch_size_count 12.0\n")).isNull();
        WriterTimes.Snapshot same = WriterTimes.parse(scrape(new long[] {1, 1, 1, 1, 1}, 0.001,
                new long[] {1, 1, 1, 1, 1}, 0.001));
        assertThat(WriterTimes.usage(same, same)).isEmpty();
        assertThat(WriterTimes.usage(null, same)).isEmpty();
    }
}
