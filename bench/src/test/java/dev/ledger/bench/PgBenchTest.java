package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
