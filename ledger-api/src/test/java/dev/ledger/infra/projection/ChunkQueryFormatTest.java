package dev.ledger.infra.projection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.ledger.support.IntegrationTest;
import dev.ledger.support.TestDatabase;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.postgresql.PGResultSetMetaData;

/**
 * A rebuild's reader gets the stored events in binary from its first chunk on. pgjdbc runs a
 * statement's first four executions unnamed, with results as text, so that a rebuild's first four
 * chunks came with every payload as hex text (for the server to encode and the reader to decode);
 * the reader's statement asks for binary results at once.
 */
class ChunkQueryFormatTest extends IntegrationTest {

    private static final int TEXT = 0;
    private static final int BINARY = 1;

    @Test
    void the_first_chunk_comes_in_binary_with_the_payloads_as_stored() throws Exception {
        String accountId = "chunk-" + UUID.randomUUID();
        assertThat(ledger.openAccount(accountId, "EUR", 0).status()).isEqualTo(201);
        assertThat(ledger.deposit(accountId, 250, "EUR").status()).isEqualTo(201);

        try (Connection connection = TestDatabase.get().connect()) {
            connection.setAutoCommit(false);
            try (PreparedStatement plain = connection.prepareStatement(ChunkReader.CHUNK_SQL)) {
                List<Object> control = firstChunk(plain, accountId);
                assertThat(control.get(0)).as("control: a statement's first execution, as pgjdbc runs it"
                        + " by default, has its payloads as text").isEqualTo(TEXT);
            }
            try (PreparedStatement query = ChunkReader.prepareChunkQuery(connection)) {
                List<Object> chunk = firstChunk(query, accountId);
                assertThat(chunk.get(0)).as("the reader's first execution").isEqualTo(BINARY);
                assertThat(chunk.subList(1, chunk.size())).as("the payloads read, as stored")
                        .isEqualTo(storedPayloads(connection, accountId));
            }
            connection.rollback();
        }
    }

    /** The payload column's format, then the account's payloads, from one execution of the chunk query. */
    private static List<Object> firstChunk(PreparedStatement query, String accountId) throws SQLException {
        // The chunk starts just before the account: its rows come first.
        query.setString(1, accountId.substring(0, accountId.length() - 1));
        query.setLong(2, -1);
        query.setInt(3, 2);
        List<Object> result = new ArrayList<>();
        try (ResultSet rs = query.executeQuery()) {
            result.add(rs.getMetaData().unwrap(PGResultSetMetaData.class).getFormat(1));
            while (rs.next()) {
                if (accountId.equals(rs.getString(4))) {
                    result.add(new String(rs.getBytes(1), StandardCharsets.UTF_8));
                }
            }
        }
        return result;
    }

    private static List<Object> storedPayloads(Connection connection, String accountId) throws SQLException {
        List<Object> payloads = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement("select convert_from(payload, 'UTF8')"
                + " from domain_event_entry where aggregate_identifier = ? order by sequence_number")) {
            query.setString(1, accountId);
            try (ResultSet rs = query.executeQuery()) {
                while (rs.next()) {
                    payloads.add(rs.getString(1));
                }
            }
        }
        assertThat(payloads).hasSize(2);
        return payloads;
    }
}
