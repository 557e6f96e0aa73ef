package dev.ledger.api.transfer;

import dev.ledger.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** What the service wrote, read straight from its tables over a connection of the test's own. */
final class Rows {

    private Rows() {
    }

    /** The events in the account's stream, counted in the event store. */
    static long events(String accountId) {
        return count("select count(*) from domain_event_entry where aggregate_identifier = ?", accountId);
    }

    /**
     * The versions written to the outbox for the account: those still in it and those delivered
     * (the relay removes a row once its delivery commits, and the feed then holds it). A union, so
     * a row delivered but not yet removed counts once.
     */
    static long outbox(String accountId) {
        return count("""
                select count(*) from (select version from outbox_event where account_id = ?
                                      union select version from event_feed where account_id = ?) as written""",
                accountId, accountId);
    }

    /** The transfer rows with this id: 0 or 1. */
    static long transfers(String transferId) {
        return count("select count(*) from transfer where transfer_id = ?", transferId);
    }

    static long count(String sql, Object... parameters) {
        try (Connection connection = TestDatabase.get().connect();
             PreparedStatement query = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                query.setObject(i + 1, parameters[i]);
            }
            try (ResultSet row = query.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        } catch (SQLException failure) {
            throw new IllegalStateException(sql, failure);
        }
    }
}
