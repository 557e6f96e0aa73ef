package dev.ledger.bench;

import java.util.Map;
import java.util.TreeMap;

/**
 * Reads one histogram (e.g. {@code ledger_projection_lag_seconds}) out of Prometheus text format:
 * the cumulative {@code _bucket} counts by their {@code le} bound (summed over any other labels),
 * and {@code _count}. Two scrapes diffed give the distribution of exactly the interval between them.
 */
public final class Prometheus {

    private Prometheus() {
    }

    /** A scrape of one histogram: upper bound (seconds; +Inf as POSITIVE_INFINITY) → cumulative count. */
    public record Buckets(TreeMap<Double, Double> cumulative, double count, double sum) {

        public boolean isEmpty() {
            return cumulative.isEmpty();
        }

        /** This scrape minus an earlier one (counters only grow; a reset shows as negative and is clamped to 0). */
        public Buckets minus(Buckets earlier) {
            TreeMap<Double, Double> diff = new TreeMap<>();
            for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
                double before = earlier.cumulative.getOrDefault(e.getKey(), 0.0);
                diff.put(e.getKey(), Math.max(0, e.getValue() - before));
            }
            return new Buckets(diff, Math.max(0, count - earlier.count), Math.max(0, sum - earlier.sum));
        }

        /** Total observations (the +Inf bucket, or _count if there is none). */
        public double total() {
            Double inf = cumulative.get(Double.POSITIVE_INFINITY);
            return inf != null ? inf : count;
        }

        /**
         * The upper bound (seconds) of the bucket holding quantile q: the smallest {@code le} whose
         * cumulative count reaches {@code ceil(q * total)}. POSITIVE_INFINITY if only the +Inf bucket
         * does; NaN if there were no observations.
         */
        public double quantileUpperBound(double q) {
            double total = total();
            if (total <= 0) {
                return Double.NaN;
            }
            double rank = Math.max(1, Math.ceil(q * total - 1e-9));
            for (Map.Entry<Double, Double> e : cumulative.entrySet()) {
                if (e.getValue() >= rank) {
                    return e.getKey();
                }
            }
            return Double.POSITIVE_INFINITY;
        }
    }

    public static Buckets parse(String text, String name) {
        TreeMap<Double, Double> buckets = new TreeMap<>();
        double count = 0;
        double sum = 0;
        String bucketPrefix = name + "_bucket";
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.charAt(0) == '#') {
                continue;
            }
            if (line.startsWith(bucketPrefix) && (line.charAt(bucketPrefix.length()) == '{')) {
                String le = label(line, "le");
                if (le == null) {
                    continue;
                }
                double bound = le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le);
                buckets.merge(bound, sampleValue(line), Double::sum);
            } else if (isSample(line, name + "_count")) {
                count += sampleValue(line);
            } else if (isSample(line, name + "_sum")) {
                sum += sampleValue(line);
            }
        }
        return new Buckets(buckets, count, sum);
    }

    /** The sum of a gauge's or counter's samples (over all label sets); NaN if it is absent. */
    public static double value(String text, String name) {
        double total = Double.NaN;
        for (String line : text.split("\n")) {
            if (!line.isEmpty() && line.charAt(0) != '#' && isSample(line, name)) {
                total = (Double.isNaN(total) ? 0 : total) + sampleValue(line);
            }
        }
        return total;
    }

    private static boolean isSample(String line, String metric) {
        if (!line.startsWith(metric) || line.length() == metric.length()) {
            return false;
        }
        char next = line.charAt(metric.length());
        return next == '{' || next == ' ';
    }

    static String label(String line, String label) {
        int open = line.indexOf('{');
        int close = line.lastIndexOf('}');
        if (open < 0 || close < open) {
            return null;
        }
        String labels = line.substring(open + 1, close);
        String key = label + "=\"";
        int at = 0;
        while (at < labels.length()) {
            int k = labels.indexOf(key, at);
            if (k < 0) {
                return null;
            }
            if (k == 0 || labels.charAt(k - 1) == ',' || labels.charAt(k - 1) == ' ') {
                int start = k + key.length();
                int end = labels.indexOf('"', start);
                return end < 0 ? null : labels.substring(start, end);
            }
            at = k + 1;
        }
        return null;
    }

    static double sampleValue(String line) {
        int close = line.lastIndexOf('}');
        String rest = (close >= 0 ? line.substring(close + 1) : line.substring(line.indexOf(' '))).trim();
        int space = rest.indexOf(' ');
        String v = space < 0 ? rest : rest.substring(0, space);
        return switch (v) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(v);
        };
    }
}
