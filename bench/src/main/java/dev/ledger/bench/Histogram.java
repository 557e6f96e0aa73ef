package dev.ledger.bench;

/**
 * Log-linear histogram of non-negative longs (nanoseconds here), bounded memory: values below 128
 * are exact; above, each power of two is split into 64 equal sub-buckets, so a recorded value is
 * known to within 1/64 (about 1.6 %). Values above {@link #MAX_VALUE} are clamped to it (and counted
 * in {@link #clamped()}). Not thread-safe: one per thread, merged afterwards.
 */
public final class Histogram {

    static final int LINEAR = 128;
    static final int SUB_BITS = 6;
    static final int SUB = 1 << SUB_BITS;
    /** About 18 minutes in nanoseconds. */
    public static final long MAX_VALUE = (1L << 40) - 1;
    static final int MAX_SHIFT = 40 - 1 - SUB_BITS;
    static final int SIZE = LINEAR + MAX_SHIFT * SUB;

    private final long[] counts = new long[SIZE];
    private long total;
    private long clamped;
    private long min = Long.MAX_VALUE;
    private long max;
    private double sum;

    public void record(long value) {
        long v = value < 0 ? 0 : value;
        if (v > MAX_VALUE) {
            v = MAX_VALUE;
            clamped++;
        }
        counts[index(v)]++;
        total++;
        sum += v;
        if (v < min) {
            min = v;
        }
        if (v > max) {
            max = v;
        }
    }

    static int index(long v) {
        if (v < LINEAR) {
            return (int) v;
        }
        int msb = 63 - Long.numberOfLeadingZeros(v);
        int shift = msb - SUB_BITS;
        return LINEAR + (shift - 1) * SUB + (int) ((v >>> shift) - SUB);
    }

    /** The smallest value that falls into bucket {@code index}. */
    static long lowest(int index) {
        if (index < LINEAR) {
            return index;
        }
        int shift = (index - LINEAR) / SUB + 1;
        long sub = (index - LINEAR) % SUB + SUB;
        return sub << shift;
    }

    /** The largest value that falls into bucket {@code index}. */
    static long highest(int index) {
        if (index < LINEAR) {
            return index;
        }
        int shift = (index - LINEAR) / SUB + 1;
        return lowest(index) + (1L << shift) - 1;
    }

    public void add(Histogram other) {
        for (int i = 0; i < SIZE; i++) {
            counts[i] += other.counts[i];
        }
        total += other.total;
        clamped += other.clamped;
        sum += other.sum;
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
    }

    public long count() {
        return total;
    }

    public long clamped() {
        return clamped;
    }

    public long min() {
        return total == 0 ? 0 : min;
    }

    public long max() {
        return max;
    }

    public double mean() {
        return total == 0 ? 0 : sum / total;
    }

    /**
     * The value at quantile {@code q} (0 < q <= 1): the smallest recorded value such that at least
     * {@code ceil(q * count)} values are at or below it, given as the middle of its bucket (never
     * beyond the largest value recorded). 0 when empty.
     */
    public long quantile(double q) {
        if (total == 0) {
            return 0;
        }
        if (q <= 0 || q > 1) {
            throw new IllegalArgumentException("quantile must be in (0, 1]: " + q);
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < SIZE; i++) {
            seen += counts[i];
            if (seen >= rank) {
                long mid = lowest(i) + (highest(i) - lowest(i)) / 2;
                return Math.min(Math.max(mid, min), max);
            }
        }
        return max;
    }
}
