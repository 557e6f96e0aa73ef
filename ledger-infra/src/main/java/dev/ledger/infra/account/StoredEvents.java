package dev.ledger.infra.account;

import dev.ledger.domain.account.AccountEvent;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.SimpleSerializedObject;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.stereotype.Component;

/** Reads events straight from Axon's {@code domain_event_entry} rows, for bulk replays in SQL. */
@Component
public class StoredEvents {

    /** The columns {@link #entry(ResultSet, int)} reads, in order. */
    public static final String COLUMNS = "d.payload, d.payload_type, d.payload_revision";

    private final Serializer serializer;

    StoredEvents(@Qualifier("eventSerializer") Serializer serializer) {
        this.serializer = serializer;
    }

    /** The entry whose {@link #COLUMNS} start at {@code first}. */
    public LedgerEntry entry(ResultSet rs, int first) throws SQLException {
        return entry(rs.getBytes(first), rs.getString(first + 1), rs.getString(first + 2));
    }

    /** The entry of a stored payload, its type and revision (the values of {@link #COLUMNS}). */
    public LedgerEntry entry(byte[] payload, String payloadType, String payloadRevision) {
        AccountEvent event = serializer.deserialize(new SimpleSerializedObject<>(payload, byte[].class, payloadType,
                payloadRevision));
        return LedgerEntry.of(event);
    }
}
