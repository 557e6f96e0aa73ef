package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import org.junit.jupiter.api.Test;

class PgBenchTest {

    static final String OUTPUT = """
            pgbench (15.20 (Debian 15.20-0+deb12u1))
            transaction type: <builtin: TPC-B (sort of)>
            scaling factor: 10
            query mode: prepared
            number of clients: 8
            number of threads: 2
            maximum number of tries: 1
            duration: 15 s
            number of transactions actually processed: 34594
            number of failed transactions: 0 (0.000%)
            latency average = 3.470 ms
            initial connection time = 16.792 ms
            tps = 2305.935868 (without initial connection time)
            """;

    @Test
    void readsTpsLatencyAndCounts() {
        PgBench.Result r = PgBench.parse(OUTPUT, 8, 15);
        assertThat(r.tps()).isEqualTo(2305.935868);
        assertThat(r.latencyAverageMillis()).isEqualTo(3.470);
        assertThat(r.transactions()).isEqualTo(34594);
        assertThat(r.failed()).isZero();
        assertThat(r.clients()).isEqualTo(8);
    }

    @Test
    void ignoresTheTpsIncludingConnectionsOfOlderVersions() {
        String old = OUTPUT.replace("tps = 2305.935868 (without initial connection time)",
                "tps = 2200.000000 (including connections establishing)\ntps = 2305.5 (without initial connection time)");
        assertThat(PgBench.parse(old, 8, 15).tps()).isEqualTo(2305.5);
    }

    @Test
    void refusesOutputWithoutTps() {
        assertThatThrownBy(() -> PgBench.parse("pgbench: error: connection refused", 8, 15))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("connection refused");
    }

    @Test
    void readsTheLatenciesOfItsTransactionLog() throws IOException {
        // pgbench 15's log: client, transaction number, latency in µs, script, epoch s, µs; "failed" for a failed one
        String log = """
                0 199 2112 0 1733400000 123456
                3 200 940 0 1733400000 223456
                1 17 failed 0 1733400001 4
                5 201 15300 0 1733400001 5456
                """;
        Histogram h = new Histogram();
        PgBench.readLog(new BufferedReader(new StringReader(log)), h);
        assertThat(h.count()).isEqualTo(3);
        assertThat(h.max()).isEqualTo(15_300_000L);
        assertThat(h.min()).isEqualTo(940_000L);
        assertThat(h.quantile(0.5) / 1e6).isBetween(2.07, 2.15);
    }
}
