package dev.ledger.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Keeps each run's results.json and service.log under bench/target/runs/&lt;start&gt;-&lt;commit&gt;/: the
 * next run overwrites the two files in bench/target, and a run's slow relay rounds or stalls are only
 * in its own service log. Keeps the newest {@link #KEEP} runs and deletes older ones.
 */
final class RunArchive {

    static final int KEEP = 30;
    static final List<String> FILES = List.of("results.json", "service.log");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);

    private RunArchive() {
    }

    /** Copies the run's files that exist into a directory of their own; answers it, or null if there was nothing. */
    static Path keep(Path target, Instant started, String commit, int keep) throws IOException {
        String name = STAMP.format(started) + (commit == null || commit.isBlank() ? "" : "-" + commit.replaceAll("[^0-9A-Za-z]", ""));
        Path dir = target.resolve("runs").resolve(name);
        boolean any = false;
        for (String file : FILES) {
            Path from = target.resolve(file);
            if (Files.isRegularFile(from)) {
                Files.createDirectories(dir);
                Files.copy(from, dir.resolve(file), StandardCopyOption.REPLACE_EXISTING);
                any = true;
            }
        }
        if (!any) {
            return null;
        }
        prune(target.resolve("runs"), keep);
        return dir;
    }

    /** Deletes all but the newest {@code keep} run directories (names sort by start time). */
    static void prune(Path runs, int keep) throws IOException {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(runs)) {
            dirs = s.filter(Files::isDirectory).sorted(Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
        for (Path old : dirs.subList(0, Math.max(0, dirs.size() - keep))) {
            try (Stream<Path> walk = Files.walk(old)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }
}
