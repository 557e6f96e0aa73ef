package dev.ledger.api.idempotency;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import dev.ledger.infra.Pipeline;
import dev.ledger.support.IntegrationTest;
import dev.ledger.support.TestDatabase;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.SocketFactory;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

/**
 * Proves that, with the driver and the connection settings the service runs with, a write
 * transaction of the write path's shape goes to PostgreSQL in one socket write: the BEGIN the driver
 * adds, a pipeline of rows larger than the driver's default 8 kB buffer, and the commit sent with
 * them. Each write is a wake-up of the server's process (and, on a busy machine, a wait for a core),
 * so a write group's one round trip should be one write, not two or three. The same transaction
 * on the driver's default buffer takes more than one: the settings are what makes the difference.
 */
class OneWritePerTransactionTest extends IntegrationTest {

    /** About what a group of 16 deposits writes (2.2 kB each): over the driver's default buffer. */
    private static final int ROWS_BYTES = 36_000;

    @Autowired
    private DataSource dataSource;

    @Test
    void a_transaction_of_the_write_paths_shape_goes_to_the_server_in_one_write() throws Exception {
        Properties configured = ((HikariDataSource) dataSource).getDataSourceProperties();
        assertThat(configured).as("the service's connection settings").containsKey("maxSendBufferSize");

        assertThat(writesOfOneTransaction(configured)).isEqualTo(1);
    }

    @Test
    void on_the_drivers_default_buffer_the_same_transaction_takes_more_than_one_write() throws Exception {
        Properties defaults = new Properties();

        assertThat(writesOfOneTransaction(defaults)).isGreaterThan(1);
    }

    /**
     * Opens a connection with the given settings, over sockets that count their writes, and counts
     * the writes of one transaction: its BEGIN (added by the driver), a pipeline of rows and its
     * commit, as the write path sends them.
     */
    private static int writesOfOneTransaction(Properties settings) throws SQLException {
        Properties properties = new Properties();
        properties.putAll(settings);
        properties.setProperty("user", TestDatabase.get().user());
        properties.setProperty("password", TestDatabase.get().password());
        properties.setProperty("socketFactory", CountingSockets.class.getName());
        try (Connection connection = DriverManager.getConnection(TestDatabase.get().url(), properties)) {
            JdbcTemplate jdbc = new JdbcTemplate(new SingleConnectionDataSource(connection, true));
            jdbc.queryForObject("select 1", Integer.class); // the connection's set-up is not counted
            connection.setAutoCommit(false);
            String[] rows = rows();
            List<Integer> lengths = new ArrayList<>();
            Pipeline pipeline = new Pipeline()
                    .query("select length(" + Pipeline.unnested("text") + ")", row -> lengths.add(row.getInt(1)),
                            (Object) rows)
                    .execute("commit");

            int before = CountingSockets.WRITES.get();
            pipeline.run(jdbc);
            int writes = CountingSockets.WRITES.get() - before;

            assertThat(lengths).as("the rows reached the server").hasSize(rows.length);
            connection.setAutoCommit(true);
            return writes;
        }
    }

    private static String[] rows() {
        String[] rows = new String[ROWS_BYTES / 1_000];
        char[] text = new char[1_000];
        for (int i = 0; i < rows.length; i++) {
            Arrays.fill(text, (char) ('a' + i % 26));
            rows[i] = new String(text);
        }
        return rows;
    }

    /** Sockets whose output counts its writes (the driver names this class; it needs a public constructor). */
    public static final class CountingSockets extends SocketFactory {

        static final AtomicInteger WRITES = new AtomicInteger();

        @Override
        public Socket createSocket() {
            return new Socket() {
                @Override
                public OutputStream getOutputStream() throws IOException {
                    return new FilterOutputStream(super.getOutputStream()) {
                        @Override
                        public void write(byte[] bytes, int offset, int length) throws IOException {
                            WRITES.incrementAndGet();
                            out.write(bytes, offset, length);
                        }

                        @Override
                        public void write(int oneByte) throws IOException {
                            WRITES.incrementAndGet();
                            out.write(oneByte);
                        }
                    };
                }
            };
        }

        // The driver only asks for unconnected sockets (above) and connects them itself.

        @Override
        public Socket createSocket(String host, int port) {
            throw connectedNotUsed();
        }

        @Override
        public Socket createSocket(String host, int port, InetAddress local, int localPort) {
            throw connectedNotUsed();
        }

        @Override
        public Socket createSocket(InetAddress host, int port) {
            throw connectedNotUsed();
        }

        @Override
        public Socket createSocket(InetAddress address, int port, InetAddress local, int localPort) {
            throw connectedNotUsed();
        }

        private static UnsupportedOperationException connectedNotUsed() {
            return new UnsupportedOperationException("the driver connects an unconnected socket");
        }
    }
}
