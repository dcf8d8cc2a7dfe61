package dev.weft.events.http;

import dev.weft.events.EventBus;
import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import dev.weft.Scope;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * Makes each exchange of the JDK's {@code com.sun.net.httpserver} server a Weft scope, so events
 * emitted while handling a request are dispatched only after the response has been sent, and
 * only if the handler succeeded (rule E4). Other web frameworks need the same three steps: open
 * an {@link EventBus#unitOfWork} around the handler, finish the response inside it, and let a
 * failure end the scope.
 *
 * <pre>{@code
 * HttpServer server = HttpServer.create(new InetSocketAddress(8080), 0);
 * server.createContext("/sightings", handler).getFilters().add(new RequestScopeFilter());
 * }</pre>
 *
 * <h2>What counts as failure</h2>
 * The handler threw, or it answered with a status of 500 or more (a handler that reports its
 * own failure as a 5xx response did not succeed either). Then the scope fails, the events it
 * held are dropped (policy ON_SUCCESS), a handler that threw before answering gets a 500 answer,
 * and the failure is passed to the failure listener (default: the {@code System.Logger} of this
 * class, at WARNING; 5xx answers are not logged, the handler chose them).
 *
 * <h2>Order</h2>
 * The filter closes the exchange (which flushes the response) inside the scope, after the
 * handler returned; the scope then ends and its events are handed to the bus. So handlers of
 * those events start after the client could read the response.
 *
 * <p>Trace context: the {@code traceparent} and {@code tracestate} headers (W3C) and
 * {@code X-Correlation-Id} are bound as {@link EventBus#TRACE} for the request's events.
 */
public final class RequestScopeFilter extends Filter {

    private final BiConsumer<HttpExchange, Throwable> onFailure;

    /** A filter that logs failures through {@code System.Logger}. */
    public RequestScopeFilter() {
        this((exchange, t) -> System.getLogger(RequestScopeFilter.class.getName()).log(System.Logger.Level.WARNING,
                "request " + exchange.getRequestMethod() + " " + exchange.getRequestURI() + " failed; its events were not dispatched", t));
    }

    /** A filter that hands failures (what the request's scope threw) to {@code onFailure}. */
    public RequestScopeFilter(BiConsumer<HttpExchange, Throwable> onFailure) {
        this.onFailure = Objects.requireNonNull(onFailure, "onFailure");
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        try {
            EventBus.unitOfWork("http " + exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath())
                    .bind(EventBus.TRACE, traceOf(exchange))
                    .run(scope -> {
                        chain.doFilter(exchange);
                        int status = exchange.getResponseCode();
                        exchange.close(); // the response is complete before the scope (and its events) end
                        if (status >= 500) throw new ServerErrorAnswered(status);
                        return null;
                    });
        } catch (RuntimeException failed) {
            boolean answered5xx = failed instanceof dev.weft.ExceptionGroup g && g.leaves().size() == 1
                    && g.leaves().get(0).error() instanceof ServerErrorAnswered;
            if (exchange.getResponseCode() == -1) {
                try {
                    exchange.sendResponseHeaders(500, -1);
                } catch (IOException | RuntimeException ignored) {
                    failed.addSuppressed(ignored);
                }
            }
            exchange.close();
            if (!answered5xx) onFailure.accept(exchange, failed);
        }
    }

    private static Map<String, String> traceOf(HttpExchange exchange) {
        Map<String, String> trace = new HashMap<>();
        put(trace, "traceparent", exchange.getRequestHeaders().getFirst("traceparent"));
        put(trace, "tracestate", exchange.getRequestHeaders().getFirst("tracestate"));
        put(trace, "correlation-id", exchange.getRequestHeaders().getFirst("X-Correlation-Id"));
        return Map.copyOf(trace);
    }

    private static void put(Map<String, String> m, String k, String v) {
        if (v != null && !v.isBlank()) m.put(k, v);
    }

    @Override
    public String description() {
        return "runs each exchange in a Weft scope (a unit of work): events are dispatched after the response, and only if it succeeded";
    }

    /** The handler answered with a 5xx status: the request failed, so the scope must too. */
    // Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions
    // (no serialVersionUID; fields may hold values that do not serialize).
    @SuppressWarnings("serial")
    private static final class ServerErrorAnswered extends RuntimeException {
        ServerErrorAnswered(int status) {
            super("the handler answered " + status, null, false, false);
        }
    }
}
