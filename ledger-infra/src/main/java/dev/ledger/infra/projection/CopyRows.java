package dev.ledger.infra.projection;

import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;

/**
 * Rows for PostgreSQL's {@code COPY ... FROM STDIN (FORMAT csv)}: text is always quoted (so an
 * empty text stays empty), a missing value is left empty (which CSV reads as NULL).
 */
final class CopyRows {

    private CopyRows() {
    }

    static StringBuilder text(StringBuilder row, String value) {
        if (value == null) {
            return row;
        }
        if (value.indexOf('"') < 0) {
            return row.append('"').append(value).append('"');
        }
        row.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"') {
                row.append('"');
            }
            row.append(c);
        }
        return row.append('"');
    }

    static StringBuilder number(StringBuilder row, Long value) {
        return value == null ? row : row.append(value.longValue());
    }

    /** Copies the rows in on the transaction's own connection; returns the number of rows. */
    static long copyIn(Connection connection, String copySql, CharSequence rows) {
        try {
            return connection.unwrap(PGConnection.class).getCopyAPI()
                    .copyIn(copySql, new StringReader(rows.toString()));
        } catch (SQLException | IOException failure) {
            throw new IllegalStateException("COPY failed: " + failure.getMessage(), failure);
        }
    }
}
