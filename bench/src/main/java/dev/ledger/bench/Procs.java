package dev.ledger.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs external commands with a time limit; stdout captured, stderr to a file or captured. */
public final class Procs {

    private Procs() {
    }

    public record Outcome(int exitCode, String stdout, String stderr, boolean timedOut, double seconds) {
        public boolean ok() {
            return exitCode == 0 && !timedOut;
        }
    }

    public static Outcome run(List<String> command, Map<String, String> env, File dir, long timeoutSeconds)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command);
        if (env != null) {
            pb.environment().putAll(env);
        }
        if (dir != null) {
            pb.directory(dir);
        }
        long t0 = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        StreamSink out = new StreamSink(p.getInputStream());
        StreamSink err = new StreamSink(p.getErrorStream());
        out.start();
        err.start();
        boolean done = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        if (!done) {
            destroy(p);
        }
        out.join(5000);
        err.join(5000);
        return new Outcome(done ? p.exitValue() : -1, out.text(), err.text(), !done, (System.nanoTime() - t0) / 1e9);
    }

    /** psql against the local server, one statement, unaligned tuples-only output, trimmed. */
    public static String psql(String database, String sql) throws IOException, InterruptedException {
        Outcome o = run(List.of("psql", "-h", "127.0.0.1", "-p", "5432", "-U", "postgres", "-d", database,
                "-v", "ON_ERROR_STOP=1", "-X", "-A", "-t", "-c", sql), null, null, 120);
        if (!o.ok()) {
            throw new IOException("psql failed (" + sql + "): " + o.stderr().trim());
        }
        return o.stdout().trim();
    }

    public static void destroy(Process p) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    static String tail(Path file, int maxChars) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8);
            return s.length() <= maxChars ? s : s.substring(s.length() - maxChars);
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    /** Drains a stream into memory (bounded: keeps the last 1 MiB). */
    static final class StreamSink extends Thread {
        static final int KEEP_MAX = 1 << 20;
        private final InputStream in;
        private final StringBuilder text = new StringBuilder();

        StreamSink(InputStream in) {
            this.in = in;
            setDaemon(true);
        }

        @Override
        public void run() {
            byte[] buf = new byte[8192];
            try {
                int n;
                while ((n = in.read(buf)) > 0) {
                    synchronized (text) {
                        text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                        if (text.length() > KEEP_MAX) {
                            text.delete(0, text.length() - KEEP_MAX);
                        }
                    }
                }
            } catch (IOException ignored) {
                // process ended
            }
        }

        String text() {
            synchronized (text) {
                return text.toString();
            }
        }
    }
}
