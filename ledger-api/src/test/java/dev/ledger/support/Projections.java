package dev.ledger.support;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;

/**
 * Waits, bounded, until the relay has delivered everything committed so far (accounts parked
 * behind a failed delivery aside), so that a test reading the read model sees its own writes.
 */
public final class Projections {

    public static final Duration SETTLE_WAIT_MAX = Duration.ofSeconds(20);
    private static final long POLL_MS = 5;

    private Projections() {
    }

    public static void awaitSettled() {
        long deadline = System.nanoTime() + SETTLE_WAIT_MAX.toNanos();
        try (Connection connection = TestDatabase.get().connect(); Statement statement = connection.createStatement()) {
            while (true) {
                try (ResultSet rs = statement.executeQuery("select count(*) from outbox_event o where relayed_at is null"
                        + " and not exists (select 1 from relay_dead_letter d where d.account_id = o.account_id"
                        + " and d.released_at is null)")) {
                    rs.next();
                    if (rs.getLong(1) == 0) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the relay did not deliver the outbox within " + SETTLE_WAIT_MAX);
                }
                LockSupport.parkNanos(POLL_MS * 1_000_000);
            }
        } catch (SQLException failure) {
            throw new IllegalStateException(failure);
        }
    }
}
