package dev.ledger.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What kind of machine a run had, beyond its core count: the CPU as the kernel names it, and how
 * long the disk takes to make an 8 kB write durable. The second decides much of the ratio to
 * pgbench: pgbench pays a flush per transaction, the ledger one per write group, so where a flush
 * is cheap the two are compared on CPU per operation, and where it is dear on how many operations
 * share a flush.
 */
final class Machine {

    /** PostgreSQL's WAL block: what one small transaction's commit writes and flushes. */
    static final int BLOCK = 8192;
    /** The file the writes cycle through: one WAL segment, allocated (and flushed) before timing. */
    static final int FILE_BYTES = 16 * 1024 * 1024;
    /** At most this many timed writes, and at most {@link #SYNC_SECONDS_MAX} seconds of them. */
    static final int SYNCS_MAX = 20_000;
    static final double SYNC_SECONDS_MAX = 1.0;

    private Machine() {
    }

    /**
     * The first processor's model name, family, model and clock from /proc/cpuinfo's text, as
     * "Intel(R) Xeon(R) Processor (family 6, model 167, 2,600 MHz)"; null when it names none.
     */
    static String cpu(String cpuinfo) {
        Map<String, String> first = new LinkedHashMap<>();
        for (String line : cpuinfo.split("\n")) {
            if (line.isBlank()) {
                if (!first.isEmpty()) {
                    break;
                }
                continue;
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                first.putIfAbsent(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
            }
        }
        String name = first.get("model name");
        if (name == null || name.isEmpty()) {
            return null;
        }
        StringBuilder details = new StringBuilder();
        if (first.containsKey("cpu family") && first.containsKey("model")) {
            details.append("family ").append(first.get("cpu family")).append(", model ").append(first.get("model"));
        }
        String mhz = first.get("cpu MHz");
        if (mhz != null) {
            try {
                details.append(details.isEmpty() ? "" : ", ")
                        .append(String.format(Locale.ROOT, "%,d MHz", Math.round(Double.parseDouble(mhz))));
            } catch (NumberFormatException notANumber) {
                // left out
            }
        }
        return details.isEmpty() ? name : name + " (" + details + ")";
    }

    /** The timed writes' durations: how many, their median and 99th percentile, in microseconds. */
    record SyncTimes(int writes, double medianMicros, double p99Micros) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("writes", writes);
            m.put("medianMicros", medianMicros);
            m.put("p99Micros", p99Micros);
            return m;
        }
    }

    /**
     * Times an 8 kB write followed by {@link FileChannel#force force(false)} (fdatasync, what
     * PostgreSQL's WAL flush does by default on Linux) in a file of {@code dir}, block after block
     * through one allocated 16 MB file as the WAL goes through a segment; bounded by
     * {@code maxWrites} and {@code maxSeconds}. The file is deleted afterwards.
     */
    static SyncTimes syncTimes(Path dir, int maxWrites, double maxSeconds) throws IOException {
        Path file = Files.createTempFile(dir, "sync-", ".tmp");
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
            for (long at = 0; at < FILE_BYTES; at += zeros.capacity()) {
                zeros.clear();
                channel.write(zeros, at);
            }
            channel.force(true);
            ByteBuffer block = ByteBuffer.allocate(BLOCK);
            Arrays.fill(block.array(), (byte) 'w');
            long[] took = new long[maxWrites];
            int writes = 0;
            long deadline = System.nanoTime() + (long) (maxSeconds * 1e9);
            while (writes < maxWrites && System.nanoTime() < deadline) {
                block.clear();
                long start = System.nanoTime();
                channel.write(block, (long) writes * BLOCK % FILE_BYTES);
                channel.force(false);
                took[writes++] = System.nanoTime() - start;
            }
            long[] sorted = Arrays.copyOf(took, writes);
            Arrays.sort(sorted);
            return new SyncTimes(writes, micros(sorted, 0.5), micros(sorted, 0.99));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** The given quantile of sorted nanosecond durations, in microseconds (nearest rank); 0 when none. */
    static double micros(long[] sortedNanos, double quantile) {
        if (sortedNanos.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(quantile * sortedNanos.length);
        return sortedNanos[Math.max(0, Math.min(sortedNanos.length, rank) - 1)] / 1000.0;
    }
}
