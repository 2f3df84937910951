// A small HTTP service for the distill demo: JSON on / and /health, port from $PORT (default 8080).
package example;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.concurrent.Executors;

public final class Main {
    private static final String STARTED = Instant.now().toString();

    private Main() {}

    private static void reply(HttpExchange ex, int status, String json) throws IOException {
        byte[] body = (json + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("content-type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static String uid() {
        // The JDK has no getuid(); the JVM reports the account name, and the image runs as 65532.
        return System.getProperty("user.name", "unknown");
    }

    public static void main(String[] args) throws IOException {
        String env = System.getenv("PORT");
        int port = env == null || env.isEmpty() ? 8080 : Integer.parseInt(env);
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", ex -> {
            String path = ex.getRequestURI().getPath();
            if (path.equals("/")) {
                reply(ex, 200, "{\"service\":\"java-http\",\"message\":\"hello from a distroless container\",\"started\":\"" + STARTED + "\"}");
            } else if (path.equals("/health")) {
                reply(ex, 200, "{\"status\":\"ok\",\"user\":\"" + uid() + "\"}");
            } else {
                reply(ex, 404, "{\"error\":\"not found\"}");
            }
        });
        server.setExecutor(Executors.newFixedThreadPool(4));
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(1)));
        server.start();
        System.out.println("listening on :" + port);
    }
}
