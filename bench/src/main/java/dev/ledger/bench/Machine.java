package dev.ledger.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * What kind of machine a run had, beyond its core count: the CPU as the kernel names it (and the
 * kernel's mitigations for it), how long the disk takes to make an 8 kB write durable, and how long
 * a one-byte round trip between two threads over loopback TCP takes. The last two decide much of
 * the ratio to pgbench: pgbench pays a flush per transaction and seven round trips between its
 * client and its server process, the ledger a flush and a round trip per write group, so where
 * both are cheap the two are compared on the CPU the rest of an operation costs.
 */
final class Machine {

    /** PostgreSQL's WAL block: what one small transaction's commit writes and flushes. */
    static final int BLOCK = 8192;
    /** The file the writes cycle through: one WAL segment, allocated (and flushed) before timing. */
    static final int FILE_BYTES = 16 * 1024 * 1024;
    /** At most this many timed writes, and at most {@link #SYNC_SECONDS_MAX} seconds of them. */
    static final int SYNCS_MAX = 20_000;
    static final double SYNC_SECONDS_MAX = 1.0;
    /** At most this many timed round trips, and at most {@link #ROUND_TRIP_SECONDS_MAX} seconds of them. */
    static final int ROUND_TRIPS_MAX = 100_000;
    static final double ROUND_TRIP_SECONDS_MAX = 1.0;
    /** The longest the echoing thread is waited for once the round trips are done. */
    static final long ECHO_JOIN_MILLIS = 5_000;

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

    /**
     * The kernel's mitigations for the CPU's known flaws (/sys/devices/system/cpu/vulnerabilities:
     * each file's name and its one line), which decide much of what a system call or a context
     * switch costs; empty when the directory is not there.
     */
    static Map<String, String> mitigations(Path dir) throws IOException {
        Map<String, String> found = new TreeMap<>();
        if (Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                for (Path file : (Iterable<Path>) files::iterator) {
                    if (Files.isRegularFile(file) && Files.isReadable(file)) {
                        found.put(file.getFileName().toString(), Files.readString(file).strip());
                    }
                }
            }
        }
        return found;
    }

    /** Timed operations: how many, their mean, median and 99th percentile, in microseconds. */
    record Timings(int count, double meanMicros, double medianMicros, double p99Micros) {
        Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("count", count);
            m.put("meanMicros", meanMicros);
            m.put("medianMicros", medianMicros);
            m.put("p99Micros", p99Micros);
            return m;
        }

        static Timings of(long[] nanos, int count) {
            long[] sorted = Arrays.copyOf(nanos, count);
            Arrays.sort(sorted);
            double mean = count == 0 ? 0 : Arrays.stream(sorted).sum() / 1000.0 / count;
            return new Timings(count, mean, micros(sorted, 0.5), micros(sorted, 0.99));
        }
    }

    /**
     * Times an 8 kB write followed by {@link FileChannel#force force(false)} (fdatasync, what
     * PostgreSQL's WAL flush does by default on Linux) in a file of {@code dir}, block after block
     * through one allocated 16 MB file as the WAL goes through a segment; bounded by
     * {@code maxWrites} and {@code maxSeconds}. The file is deleted afterwards.
     */
    static Timings syncTimes(Path dir, int maxWrites, double maxSeconds) throws IOException {
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
            return Timings.of(took, writes);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /**
     * Times one-byte round trips between this thread and one it starts, over a TCP connection on
     * the loopback interface with Nagle's algorithm off, as pgbench talks to its server process
     * (each way a send, the kernel's loopback path and the blocked reader woken); bounded by
     * {@code maxTrips} and {@code maxSeconds}.
     */
    static Timings loopbackRoundTrips(int maxTrips, double maxSeconds) throws IOException, InterruptedException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocket server = new ServerSocket(0, 1, loopback)) {
            Thread echo = new Thread(() -> {
                try (Socket peer = server.accept()) {
                    peer.setTcpNoDelay(true);
                    InputStream in = peer.getInputStream();
                    OutputStream out = peer.getOutputStream();
                    for (int b = in.read(); b >= 0; b = in.read()) {
                        out.write(b);
                    }
                } catch (IOException closed) {
                    // the measuring side is done
                }
            }, "loopback-echo");
            echo.setDaemon(true);
            echo.start();
            long[] took = new long[maxTrips];
            int trips = 0;
            try (Socket client = new Socket(loopback, server.getLocalPort())) {
                client.setTcpNoDelay(true);
                InputStream in = client.getInputStream();
                OutputStream out = client.getOutputStream();
                long deadline = System.nanoTime() + (long) (maxSeconds * 1e9);
                while (trips < maxTrips && System.nanoTime() < deadline) {
                    long start = System.nanoTime();
                    out.write('r');
                    if (in.read() < 0) {
                        throw new IOException("the echoing thread closed the connection");
                    }
                    took[trips++] = System.nanoTime() - start;
                }
            }
            echo.join(ECHO_JOIN_MILLIS);
            return Timings.of(took, trips);
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
