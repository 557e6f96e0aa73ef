package dev.ledger.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What PostgreSQL wrote to its write-ahead log during a phase, from {@code pg_stat_wal} (PostgreSQL
 * 14+) read at its start and end: WAL bytes, records (a row or index entry each, about), full-page
 * images and flushes (fsyncs, which every synchronous commit waits for) per operation. And what it
 * wrote to its data files, from {@code pg_stat_bgwriter} (PostgreSQL 15 and 16): checkpoints begun
 * and ended (an end is where the checkpointer's write and sync times grow: its fsyncs of the data
 * files, which commits can queue behind), and the buffers written by the checkpointer, the
 * background writer and the backends themselves (a backend that must write a dirty buffer out to
 * make room does it on its query's time). Read through psql, outside the CPU meter's window where it
 * can be.
 */
final class WalMeter {

    static final String QUERY = "select wal_records, wal_fpi, wal_bytes, wal_sync from pg_stat_wal";

    static final String CHECKPOINT_QUERY = "select checkpoints_timed + checkpoints_req,"
            + " checkpoint_write_time + checkpoint_sync_time, buffers_checkpoint, buffers_clean, buffers_backend"
            + " from pg_stat_bgwriter";

    /** The WAL counters; {@code data} null where pg_stat_bgwriter has no such columns (PostgreSQL 17+). */
    record Snapshot(long nanos, long records, long fullPageImages, long bytes, long syncs, DataWrites data) {
    }

    /** The checkpointer's and the buffer writers' counters. */
    record DataWrites(long checkpointsBegun, double checkpointMillis, long checkpointBuffers, long cleanBuffers,
                      long backendBuffers) {
    }

    private WalMeter() {
    }

    /** The counters now; null when they cannot be read (an older server, psql failing). */
    static Snapshot take() {
        try {
            String wal = Procs.psql("postgres", QUERY);
            String data;
            try {
                data = Procs.psql("postgres", CHECKPOINT_QUERY);
            } catch (Exception noSuchColumns) {
                data = "";
            }
            return parse(System.nanoTime(), wal, data);
        } catch (Exception unreadable) {
            return null;
        }
    }

    /**
     * psql's unaligned lines "records|fpi|bytes|syncs" and "checkpoints|checkpoint ms|checkpoint
     * buffers|clean buffers|backend buffers"; null if the first is not one, no data writes if the
     * second is not.
     */
    static Snapshot parse(long nanos, String walLine, String dataLine) {
        String[] f = walLine.trim().split("\\|");
        if (f.length != 4) {
            return null;
        }
        try {
            return new Snapshot(nanos, Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]),
                    Long.parseLong(f[3]), parseDataWrites(dataLine));
        } catch (NumberFormatException notCounters) {
            return null;
        }
    }

    private static DataWrites parseDataWrites(String line) {
        String[] f = line.trim().split("\\|");
        if (f.length != 5) {
            return null;
        }
        try {
            return new DataWrites(Long.parseLong(f[0]), Double.parseDouble(f[1]), Long.parseLong(f[2]),
                    Long.parseLong(f[3]), Long.parseLong(f[4]));
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
        DataWrites from = before.data();
        DataWrites to = after.data();
        if (from != null && to != null) {
            m.put("checkpointsBegun", to.checkpointsBegun() - from.checkpointsBegun());
            m.put("checkpointEnded", to.checkpointMillis() > from.checkpointMillis());
            m.put("checkpointBuffersPerOp", Bench.round((to.checkpointBuffers() - from.checkpointBuffers()) / ops, 3));
            m.put("cleanBuffersPerOp", Bench.round((to.cleanBuffers() - from.cleanBuffers()) / ops, 3));
            m.put("backendBuffersPerOp", Bench.round((to.backendBuffers() - from.backendBuffers()) / ops, 3));
        }
        return m;
    }
}
