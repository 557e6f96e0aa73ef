package dev.ledger.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;

/**
 * A local HTTP server for the load generator's tests: reads each request's body, runs the test's
 * hook (which may delay the answer or set headers on it), then answers {@code 201} with {@code {}}.
 */
final class AnsweringServer implements AutoCloseable {

    private final HttpServer server;
    private final ExecutorService executor;

    AnsweringServer(Consumer<HttpExchange> beforeAnswer) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        executor = Executors.newFixedThreadPool(4);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                body.readAllBytes();
            }
            beforeAnswer.accept(exchange);
            byte[] answer = "{}".getBytes();
            exchange.sendResponseHeaders(201, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
