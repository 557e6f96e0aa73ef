package dev.ledger.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What PostgreSQL wrote to its write-ahead log during a phase, from {@code pg_stat_wal} (PostgreSQL
 * 14+) read at its start and end: WAL bytes, records (a row or index entry each, about), full-page
 * images and flushes (fsyncs, which every synchronous commit waits for) per operation. Read through
 * psql, outside the CPU meter's window where it can be.
 */
final class WalMeter {

    static final String QUERY = "select wal_records, wal_fpi, wal_bytes, wal_sync from pg_stat_wal";

    record Snapshot(long nanos, long records, long fullPageImages, long bytes, long syncs) {
    }

    private WalMeter() {
    }

    /** The counters now; null when they cannot be read (an older server, psql failing). */
    static Snapshot take() {
        try {
            return parse(System.nanoTime(), Procs.psql("postgres", QUERY));
        } catch (Exception unreadable) {
            return null;
        }
    }

    /** psql's unaligned line "records|fpi|bytes|syncs"; null if it is not one. */
    static Snapshot parse(long nanos, String line) {
        String[] f = line.trim().split("\\|");
        if (f.length != 4) {
            return null;
        }
        try {
            return new Snapshot(nanos, Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                    Long.parseLong(f[3]));
        } catch (NumberFormatException notCounters) {
            return null;
        }
    }

    /**
     * Per operation, at {@code opsPerSecond} over the window between the two snapshots; empty when
     * either is missing or there were no operations.
     */
    static Map<String, Object> usage(Snapshot before, Snapshot after, double opsPerSecond) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (before == null || after == null || opsPerSecond <= 0 || after.nanos() <= before.nanos()) {
            return m;
        }
        double seconds = (after.nanos() - before.nanos()) / 1e9;
        double ops = opsPerSecond * seconds;
        m.put("seconds", Bench.round(seconds, 3));
        m.put("bytesPerOp", Bench.round((after.bytes() - before.bytes()) / ops, 1));
        m.put("recordsPerOp", Bench.round((after.records() - before.records()) / ops, 2));
        m.put("fullPageImagesPerOp", Bench.round((after.fullPageImages() - before.fullPageImages()) / ops, 3));
        m.put("syncsPerOp", Bench.round((after.syncs() - before.syncs()) / ops, 3));
        m.put("syncsPerSecond", Bench.round((after.syncs() - before.syncs()) / seconds, 1));
        return m;
    }
}
