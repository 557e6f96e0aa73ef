package dev.ledger.infra.account;

import com.fasterxml.jackson.databind.ObjectReader;
import dev.ledger.domain.account.AccountEvent;
import java.io.IOException;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.axonframework.serialization.SerializationException;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.SimpleSerializedObject;
import org.axonframework.serialization.SimpleSerializedType;
import org.axonframework.serialization.json.JacksonSerializer;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.stereotype.Component;

/**
 * Reads events straight from Axon's {@code domain_event_entry} rows, for bulk replays in SQL.
 *
 * <p>With Axon's Jackson serializer (the service's), a payload is read by the reader Axon itself
 * would use ({@code readerFor} of its object mapper, on the class its type names), kept per type:
 * Axon's {@code deserialize} looks the class up by name ({@code Class.forName}) for every payload,
 * 14 % of a rebuild's folding thread (async-profiler). Any other serializer, or a type that does not
 * name an account event, goes through {@link Serializer#deserialize} as before.
 */
@Component
public class StoredEvents {

    /** The columns {@link #entry(ResultSet, int)} reads, in order. */
    public static final String COLUMNS = "d.payload, d.payload_type, d.payload_revision";

    /** Readers kept, at most: one per event type, of which the ledger has a handful. */
    static final int READERS_MAX = 64;

    private final Serializer serializer;
    private final Map<String, ObjectReader> readers = new ConcurrentHashMap<>();

    StoredEvents(@Qualifier("eventSerializer") Serializer serializer) {
        this.serializer = serializer;
    }

    /** The entry whose {@link #COLUMNS} start at {@code first}. */
    public LedgerEntry entry(ResultSet rs, int first) throws SQLException {
        return entry(rs.getBytes(first), rs.getString(first + 1), rs.getString(first + 2));
    }

    /** The entry of a stored payload, its type and revision (the values of {@link #COLUMNS}). */
    public LedgerEntry entry(byte[] payload, String payloadType, String payloadRevision) {
        ObjectReader reader = readerFor(payloadType, payloadRevision);
        AccountEvent event;
        if (reader == null) {
            event = serializer.deserialize(new SimpleSerializedObject<>(payload, byte[].class, payloadType,
                    payloadRevision));
        } else {
            try {
                event = reader.readValue(payload);
            } catch (IOException unreadable) {
                throw new SerializationException("Error while deserializing object", unreadable);
            }
        }
        return LedgerEntry.of(event);
    }

    /** Event types whose reader is kept, for tests. */
    int readersKept() {
        return readers.size();
    }

    /**
     * The reader kept for a payload type; null when the serializer is to read it. Kept by type name
     * alone: Axon's Jackson serializer resolves the class from the name, whatever the revision.
     */
    private ObjectReader readerFor(String payloadType, String payloadRevision) {
        ObjectReader kept = readers.get(payloadType);
        if (kept != null || !(serializer instanceof JacksonSerializer jackson) || readers.size() >= READERS_MAX) {
            return kept;
        }
        Class<?> type = serializer.classForType(new SimpleSerializedType(payloadType, payloadRevision));
        if (!AccountEvent.class.isAssignableFrom(type)) {
            return null;
        }
        ObjectReader reader = jackson.getObjectMapper().readerFor(type);
        readers.put(payloadType, reader);
        return reader;
    }
}
