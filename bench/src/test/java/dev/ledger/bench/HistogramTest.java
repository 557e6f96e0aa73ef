package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class HistogramTest {

    @Test
    void smallValuesAreExact() {
        Histogram h = new Histogram();
        for (int v = 1; v <= 100; v++) {
            h.record(v);
        }
        assertThat(h.count()).isEqualTo(100);
        assertThat(h.quantile(0.50)).isEqualTo(50);
        assertThat(h.quantile(0.99)).isEqualTo(99);
        assertThat(h.quantile(1.0)).isEqualTo(100);
        assertThat(h.quantile(0.001)).isEqualTo(1);
        assertThat(h.min()).isEqualTo(1);
        assertThat(h.max()).isEqualTo(100);
        assertThat(h.mean()).isEqualTo(50.5);
    }

    @Test
    void largeValuesAreWithinTheResolution() {
        Histogram h = new Histogram();
        // 1 ms .. 10 ms in 1 µs steps (nanoseconds)
        for (long v = 1_000_000; v <= 10_000_000; v += 1_000) {
            h.record(v);
        }
        assertThat((double) h.quantile(0.50)).isCloseTo(5_500_000, within(5_500_000 * 0.016));
        assertThat((double) h.quantile(0.99)).isCloseTo(9_910_000, within(9_910_000 * 0.016));
        assertThat(h.quantile(1.0)).isLessThanOrEqualTo(10_000_000);
    }

    @Test
    void quantilesMatchASortedArrayOnRandomData() {
        Random random = new Random(42);
        long[] values = new long[100_000];
        Histogram h = new Histogram();
        for (int i = 0; i < values.length; i++) {
            values[i] = (long) Math.exp(random.nextGaussian() * 1.5 + 14); // ~1.2 ms median, long tail
            h.record(values[i]);
        }
        Arrays.sort(values);
        for (double q : new double[] {0.5, 0.9, 0.99, 0.999}) {
            long exact = values[(int) Math.ceil(q * values.length) - 1];
            assertThat((double) h.quantile(q)).as("q=%s", q).isCloseTo(exact, within(exact * 0.016));
        }
    }

    @Test
    void bucketBoundsAreContiguous() {
        for (int i = 1; i < Histogram.SIZE; i++) {
            assertThat(Histogram.lowest(i)).isEqualTo(Histogram.highest(i - 1) + 1);
        }
        for (long v : new long[] {0, 1, 127, 128, 129, 255, 256, 1_000_000, Histogram.MAX_VALUE}) {
            int i = Histogram.index(v);
            assertThat(v).isBetween(Histogram.lowest(i), Histogram.highest(i));
        }
        assertThat(Histogram.index(Histogram.MAX_VALUE)).isEqualTo(Histogram.SIZE - 1);
    }

    @Test
    void mergesAndClamps() {
        Histogram a = new Histogram();
        Histogram b = new Histogram();
        a.record(10);
        b.record(20);
        b.record(Long.MAX_VALUE);
        a.add(b);
        assertThat(a.count()).isEqualTo(3);
        assertThat(a.clamped()).isEqualTo(1);
        assertThat(a.quantile(0.34)).isEqualTo(20);
        assertThat(a.max()).isEqualTo(Histogram.MAX_VALUE);
    }

    @Test
    void emptyIsZeroAndBadQuantilesAreRefused() {
        Histogram h = new Histogram();
        assertThat(h.quantile(0.99)).isZero();
        h.record(5);
        assertThatThrownBy(() -> h.quantile(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> h.quantile(1.5)).isInstanceOf(IllegalArgumentException.class);
    }
}
