package dev.ledger.bench;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * One HTTP/1.1 keep-alive connection over a plain socket, for a closed-loop load generator: the
 * caller writes the request bytes, this reads status line, headers and the body (Content-Length or
 * chunked). Reconnects when the server said {@code Connection: close} or the socket broke. One thread.
 */
public final class HttpConnection implements AutoCloseable {

    static final int READ_TIMEOUT_MILLIS = 10_000;
    static final int CONNECT_TIMEOUT_MILLIS = 3_000;
    static final int HEADER_LINE_MAX = 8192;
    static final int BODY_MAX = 1 << 20;

    private final String host;
    private final int port;
    private Socket socket;
    private InputStream in;
    private OutputStream out;
    private final byte[] buffer = new byte[16384];
    private int bufferPos;
    private int bufferEnd;
    private final byte[] line = new byte[HEADER_LINE_MAX];
    private int reconnects;

    /** The last response's status and (only when asked to keep it) body. */
    public int status;
    public byte[] body;
    private boolean closeAfter;

    public HttpConnection(String host, int port) {
        this.host = host;
        this.port = port;
    }

    public int reconnects() {
        return reconnects;
    }

    private void connect() throws IOException {
        close();
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.setKeepAlive(true);
        s.setSoTimeout(READ_TIMEOUT_MILLIS);
        s.connect(new InetSocketAddress(host, port), CONNECT_TIMEOUT_MILLIS);
        socket = s;
        in = s.getInputStream();
        out = s.getOutputStream();
        bufferPos = 0;
        bufferEnd = 0;
        reconnects++;
    }

    /**
     * Sends one request (complete bytes, HTTP/1.1 with Host and Content-Length) and reads the answer.
     * keepBody: copy the body into {@link #body}, otherwise it is read and dropped.
     */
    public int exchange(byte[] request, int length, boolean keepBody) throws IOException {
        if (socket == null || closeAfter) {
            connect();
        }
        try {
            out.write(request, 0, length);
            out.flush();
            readResponse(keepBody);
        } catch (IOException e) {
            close();
            throw e;
        }
        if (closeAfter) {
            close();
        }
        return status;
    }

    /** A simple request with a String body, for set-up and monitoring calls (not the hot loop). */
    public String call(String method, String path, String authorization, String idempotencyKey, String json)
            throws IOException {
        byte[] payload = json == null ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder(256)
                .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
                .append("Host: ").append(host).append(':').append(port).append("\r\n");
        if (authorization != null) {
            head.append("Authorization: ").append(authorization).append("\r\n");
        }
        if (idempotencyKey != null) {
            head.append("Idempotency-Key: ").append(idempotencyKey).append("\r\n");
        }
        if (json != null) {
            head.append("Content-Type: application/json\r\n");
        }
        head.append("Content-Length: ").append(payload.length).append("\r\n\r\n");
        byte[] h = head.toString().getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[h.length + payload.length];
        System.arraycopy(h, 0, request, 0, h.length);
        System.arraycopy(payload, 0, request, h.length, payload.length);
        exchange(request, request.length, true);
        return new String(body, StandardCharsets.UTF_8);
    }

    private int read() throws IOException {
        if (bufferPos == bufferEnd) {
            int n = in.read(buffer, 0, buffer.length);
            if (n <= 0) {
                throw new EOFException("connection closed by the server");
            }
            bufferPos = 0;
            bufferEnd = n;
        }
        return buffer[bufferPos++] & 0xff;
    }

    /** Reads one CRLF-terminated line into {@link #line}; returns its length without CRLF. */
    private int readLine() throws IOException {
        int n = 0;
        while (true) {
            int b = read();
            if (b == '\n') {
                return n > 0 && line[n - 1] == '\r' ? n - 1 : n;
            }
            if (n == line.length) {
                throw new IOException("header line longer than " + HEADER_LINE_MAX + " bytes");
            }
            line[n++] = (byte) b;
        }
    }

    private void readResponse(boolean keepBody) throws IOException {
        int n = readLine();
        // "HTTP/1.1 201 " -> status at 9..11
        if (n < 12 || line[0] != 'H') {
            throw new IOException("bad status line: " + new String(line, 0, n, StandardCharsets.ISO_8859_1));
        }
        status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
        long contentLength = -1;
        boolean chunked = false;
        closeAfter = false;
        while ((n = readLine()) > 0) {
            if (startsWithIgnoreCase(n, "content-length:")) {
                contentLength = parseLong(n, 15);
            } else if (startsWithIgnoreCase(n, "transfer-encoding:")) {
                chunked = contains(n, "chunked");
            } else if (startsWithIgnoreCase(n, "connection:")) {
                closeAfter = contains(n, "close");
            }
        }
        ByteArrayOutputStream kept = keepBody ? new ByteArrayOutputStream() : null;
        if (chunked) {
            while (true) {
                int len = readLine();
                long size = Long.parseLong(new String(line, 0, len, StandardCharsets.ISO_8859_1).split(";")[0].trim(), 16);
                if (size == 0) {
                    while (readLine() > 0) {
                        // trailers
                    }
                    break;
                }
                skip(size, kept);
                readLine();
            }
        } else if (contentLength >= 0) {
            skip(contentLength, kept);
        } else if (status != 204 && status != 304 && status >= 200) {
            // No length: the body runs to the end of the connection.
            closeAfter = true;
            try {
                while (true) {
                    int b = read();
                    if (kept != null && kept.size() < BODY_MAX) {
                        kept.write(b);
                    }
                }
            } catch (EOFException end) {
                // done
            }
        }
        body = kept == null ? null : kept.toByteArray();
    }

    private void skip(long size, ByteArrayOutputStream kept) throws IOException {
        long left = size;
        while (left > 0) {
            if (bufferPos == bufferEnd) {
                int r = in.read(buffer, 0, buffer.length);
                if (r <= 0) {
                    throw new EOFException("connection closed inside a body");
                }
                bufferPos = 0;
                bufferEnd = r;
            }
            int take = (int) Math.min(left, bufferEnd - bufferPos);
            if (kept != null && kept.size() < BODY_MAX) {
                kept.write(buffer, bufferPos, Math.min(take, BODY_MAX - kept.size()));
            }
            bufferPos += take;
            left -= take;
        }
    }

    private boolean startsWithIgnoreCase(int n, String prefix) {
        if (n < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (Character.toLowerCase(line[i]) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    private boolean contains(int n, String word) {
        return new String(line, 0, n, StandardCharsets.ISO_8859_1).toLowerCase().contains(word);
    }

    private long parseLong(int n, int from) throws IOException {
        long v = 0;
        boolean any = false;
        for (int i = from; i < n; i++) {
            byte b = line[i];
            if (b >= '0' && b <= '9') {
                v = v * 10 + (b - '0');
                any = true;
            } else if (b != ' ' && b != '\t') {
                break;
            }
        }
        if (!any) {
            throw new IOException("bad Content-Length");
        }
        return v;
    }

    @Override
    public void close() {
        if (socket != null) {
            try {
                socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
        socket = null;
        closeAfter = false;
    }
}
