package dev.weft.spring;

import dev.weft.ExceptionGroup;
import dev.weft.events.EventBus;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.HashMap;
import java.util.Map;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Makes each servlet request (Spring MVC's, on any servlet container, on platform or virtual
 * threads) a Weft unit of work: events emitted while handling it are held, and dispatched after
 * the response was sent, only if the request succeeded.
 *
 * <h2>What "fails" means</h2>
 * A request fails when an exception leaves the filter chain (Spring MVC lets out what no
 * exception handler resolved), or when its response has a status of 500 or more (an exception
 * handler or a controller answered 5xx). Its events are then dropped (policy ON_SUCCESS); a
 * thrown exception is rethrown unchanged for the container's error handling. A 4xx answer is a
 * success for Weft: the request was handled and told the client why it refused.
 *
 * <h2>Order</h2>
 * After the chain returned, the filter completes the response (flushes and closes its output),
 * then ends the scope, which hands the events to the bus: their handlers start after the client
 * could read the whole response. Two cases are weaker, and documented in docs/SPRING.md: a
 * response finished by {@code sendError} (the container writes its error page after the filter
 * returns), and asynchronous requests (Servlet async, {@code DeferredResult}): their events
 * emitted on the request thread are dispatched when that thread leaves the filter, and events
 * emitted on other threads are not held by the request at all.
 *
 * <p>Trace context: {@code traceparent}, {@code tracestate} and {@code X-Correlation-Id} are bound
 * as {@link EventBus#TRACE} for the request's events, as the JDK server's {@code RequestScopeFilter} does.
 */
public class WeftRequestFilter extends OncePerRequestFilter {

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        Completing completing = new Completing(response);
        try {
            EventBus.unitOfWork("http " + request.getMethod() + " " + request.getRequestURI())
                    .bind(EventBus.TRACE, traceOf(request))
                    .run(scope -> {
                        chain.doFilter(request, completing);
                        int status = completing.getStatus();
                        if (!request.isAsyncStarted() && !completing.errorSent) completing.complete();
                        if (status >= 500) throw new ServerErrorAnswered(status);
                        return null;
                    });
        } catch (ExceptionGroup failed) {
            Throwable cause = failed.leaves().size() == 1 ? failed.leaves().get(0).error() : failed;
            if (cause instanceof ServerErrorAnswered) return; // the answer is out; its events are dropped
            if (cause instanceof ServletException e) throw e;
            if (cause instanceof IOException e) throw e;
            if (cause instanceof RuntimeException e) throw e;
            if (cause instanceof Error e) throw e;
            throw new ServletException(cause);
        }
    }

    private static Map<String, String> traceOf(HttpServletRequest request) {
        Map<String, String> trace = new HashMap<>(4);
        put(trace, "traceparent", request.getHeader("traceparent"));
        put(trace, "tracestate", request.getHeader("tracestate"));
        put(trace, "correlation-id", request.getHeader("X-Correlation-Id"));
        return Map.copyOf(trace);
    }

    private static void put(Map<String, String> m, String k, String v) {
        if (v != null && !v.isBlank()) m.put(k, v);
    }

    /** Remembers which output the application used and whether it sent an error, to finish the response. */
    private static final class Completing extends HttpServletResponseWrapper {
        private boolean usedWriter;
        private boolean errorSent;

        Completing(HttpServletResponse response) {
            super(response);
        }

        @Override
        public PrintWriter getWriter() throws IOException {
            PrintWriter w = super.getWriter();
            usedWriter = true;
            return w;
        }

        @Override
        public void sendError(int sc, String msg) throws IOException {
            errorSent = true;
            super.sendError(sc, msg);
        }

        @Override
        public void sendError(int sc) throws IOException {
            errorSent = true;
            super.sendError(sc);
        }

        /** Sends whatever is buffered and ends the response, so the client has all of it. */
        void complete() throws IOException {
            if (usedWriter) {
                PrintWriter w = super.getWriter();
                w.flush();
                w.close();
            } else {
                ServletOutputStream out = super.getOutputStream();
                out.flush();
                out.close();
            }
        }
    }

    /** The response had a 5xx status: the request failed, so the scope must too. */
    // Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions.
    @SuppressWarnings("serial")
    private static final class ServerErrorAnswered extends RuntimeException {
        ServerErrorAnswered(int status) {
            super("the response was " + status, null, false, false);
        }
    }
}
