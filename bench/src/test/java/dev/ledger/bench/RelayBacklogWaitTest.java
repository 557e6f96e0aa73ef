package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RelayBacklogWaitTest {

    @Test
    void waits_until_the_relay_s_backlog_is_empty_and_keeps_the_first_reading_under_its_key() throws Exception {
        Iterator<String> backlogs = List.of("3.0", "0.0").iterator();
        AtomicInteger scrapes = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 4);
        server.createContext("/actuator/prometheus", exchange -> {
            scrapes.incrementAndGet();
            // The server's one dispatcher thread answers every scrape: no other thread reads the iterator.
            String value = backlogs.hasNext() ? backlogs.next() : "0.0";
            byte[] body = ("# TYPE ledger_relay_backlog gauge\nledger_relay_backlog " + value + "\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            Options options = Options.parse(new String[] {"--port=" + server.getAddress().getPort()});
            Bench bench = new Bench(options, Path.of("").toAbsolutePath());

            bench.awaitRelayBacklog("relayBacklogBeforeRebuild");

            assertThat(scrapes.get()).as("read again until the backlog was 0").isEqualTo(2);
            assertThat(bench.run.environment).containsEntry("relayBacklogBeforeRebuild", 3.0)
                    .doesNotContainKey("relayBacklogAtStart");
        } finally {
            server.stop(0);
        }
    }
}
