package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class WarmUpTest {

    private static Options options(int min, int max) {
        return Options.parse(new String[] {"--first-warmup-seconds=" + min, "--first-warmup-seconds-max=" + max});
    }

    @Test
    void warms_up_for_the_minimum_whatever_the_jit_did() {
        Options options = options(60, 180);
        assertThat(Bench.keepWarmingUp(0, Double.NaN, options)).isTrue();
        assertThat(Bench.keepWarmingUp(50, 0.0, options)).as("settled, but the minimum not reached").isTrue();
    }

    @Test
    void goes_on_after_the_minimum_only_while_the_jit_compiles_and_a_slice_fits_under_the_maximum() {
        Options options = options(60, 180);
        assertThat(Bench.keepWarmingUp(60, 0.30, options)).as("still compiling").isTrue();
        assertThat(Bench.keepWarmingUp(60, Bench.JIT_SETTLED_CORES, options)).as("settled").isFalse();
        assertThat(Bench.keepWarmingUp(60, 0.01, options)).as("settled").isFalse();
        assertThat(Bench.keepWarmingUp(170, 0.30, options)).as("a slice still fits").isTrue();
        assertThat(Bench.keepWarmingUp(180, 0.30, options)).as("at the maximum").isFalse();
        assertThat(Bench.keepWarmingUp(175, 0.30, options)).as("a slice would pass the maximum").isFalse();
    }

    @Test
    void without_the_jit_s_figures_the_minimum_only() {
        assertThat(Bench.keepWarmingUp(60, Double.NaN, options(60, 180))).isFalse();
    }

    @Test
    void a_maximum_below_the_minimum_means_the_minimum_only() {
        Options options = options(60, 30);
        assertThat(Bench.keepWarmingUp(59, 0.5, options)).isTrue();
        assertThat(Bench.keepWarmingUp(60, 0.5, options)).isFalse();
    }
}
