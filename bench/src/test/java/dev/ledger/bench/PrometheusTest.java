package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrometheusTest {

    static String scrape(long... cumulative) {
        String[] les = {"0.001", "0.002", "0.003", "0.005", "0.007", "0.01", "0.015", "0.02", "0.03", "0.05", "0.075",
                "0.1", "0.15", "0.2", "0.3", "0.5", "1.0", "2.0", "5.0", "10.0", "+Inf"};
        StringBuilder s = new StringBuilder("# HELP ledger_projection_lag_seconds From a command's acceptance\n"
                + "# TYPE ledger_projection_lag_seconds histogram\n");
        for (int i = 0; i < les.length; i++) {
            long v = i < cumulative.length ? cumulative[i] : cumulative[cumulative.length - 1];
            s.append("ledger_projection_lag_seconds_bucket{application=\"ledger\",le=\"").append(les[i]).append("\"} ")
                    .append(v).append('\n');
        }
        long total = cumulative[cumulative.length - 1];
        s.append("ledger_projection_lag_seconds_count{application=\"ledger\"} ").append(total).append('\n');
        s.append("ledger_projection_lag_seconds_sum{application=\"ledger\"} 1.5\n");
        s.append("# TYPE ledger_projection_lag_seconds_max gauge\nledger_projection_lag_seconds_max 0.9\n");
        s.append("ledger_other_bucket{le=\"0.001\"} 77\n");
        return s.toString();
    }

    @Test
    void parsesBucketsCountAndSum() {
        Prometheus.Buckets b = Prometheus.parse(scrape(0, 0, 0, 1, 2), "ledger_projection_lag_seconds");
        assertThat(b.cumulative()).hasSize(21);
        assertThat(b.cumulative().get(0.005)).isEqualTo(1.0);
        assertThat(b.cumulative().get(Double.POSITIVE_INFINITY)).isEqualTo(2.0);
        assertThat(b.count()).isEqualTo(2.0);
        assertThat(b.sum()).isEqualTo(1.5);
    }

    @Test
    void diffOfTwoScrapesGivesTheIntervalsQuantiles() {
        // before: 10 observations all <= 1 ms
        Prometheus.Buckets before = Prometheus.parse(scrape(10), "ledger_projection_lag_seconds");
        // after: +100 observations: 50 in (1,2] ms, 49 in (15,20] ms, 1 in (50,75] ms
        long[] after = new long[21];
        after[0] = 10;
        for (int i = 1; i < 21; i++) {
            after[i] = 60;
        }
        for (int i = 7; i < 21; i++) {
            after[i] = 109; // le=0.02 onwards
        }
        for (int i = 10; i < 21; i++) {
            after[i] = 110; // le=0.075 onwards
        }
        Prometheus.Buckets diff = Prometheus.parse(scrape(after), "ledger_projection_lag_seconds").minus(before);
        assertThat(diff.total()).isEqualTo(100.0);
        assertThat(diff.quantileUpperBound(0.50)).isEqualTo(0.002);
        assertThat(diff.quantileUpperBound(0.51)).isEqualTo(0.02);
        assertThat(diff.quantileUpperBound(0.99)).isEqualTo(0.02);
        assertThat(diff.quantileUpperBound(1.0)).isEqualTo(0.075);
    }

    @Test
    void overflowAndEmpty() {
        long[] all = new long[21];
        all[20] = 5; // only +Inf
        Prometheus.Buckets b = Prometheus.parse(scrape(all), "ledger_projection_lag_seconds");
        assertThat(b.quantileUpperBound(0.5)).isEqualTo(Double.POSITIVE_INFINITY);
        Prometheus.Buckets none = b.minus(b);
        assertThat(none.quantileUpperBound(0.5)).isNaN();
    }

    @Test
    void sumsSeriesThatDifferInOtherLabelsAndMatchesLeOnly() {
        String text = "m_bucket{le=\"0.1\",instance=\"a\"} 1\nm_bucket{instance=\"b\",le=\"0.1\"} 2\n"
                + "m_bucket{instance=\"b\",xle=\"0.2\",le=\"+Inf\"} 3\nm_count 3\n";
        Prometheus.Buckets b = Prometheus.parse(text, "m");
        assertThat(b.cumulative().get(0.1)).isEqualTo(3.0);
        assertThat(b.cumulative()).containsKey(Double.POSITIVE_INFINITY).doesNotContainKey(0.2);
        assertThat(b.count()).isEqualTo(3.0);
    }

    @Test
    void readsAGaugeSummedOverLabelsAndNaNWhenAbsent() {
        String text = "# TYPE ledger_relay_backlog gauge\nledger_relay_backlog 42.0\nledger_relay_backlog_other 7\n"
                + "x{a=\"1\"} 2\nx{a=\"2\"} 3\n";
        assertThat(Prometheus.value(text, "ledger_relay_backlog")).isEqualTo(42.0);
        assertThat(Prometheus.value(text, "x")).isEqualTo(5.0);
        assertThat(Prometheus.value(text, "missing")).isNaN();
    }
}
