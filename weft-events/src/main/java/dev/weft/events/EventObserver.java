package dev.weft.events;

import dev.weft.events.transport.Envelope;
import java.util.Map;

/**
 * Watches an {@link EventBus}, for metrics and traces (weft-micrometer implements it): it may add
 * to the trace context each event carries, and it runs around each try of a handler, so a span
 * or a timer can enclose the handler's code on the handler's own thread. Give it to
 * {@link EventBus.Builder#observer}; one observer per bus (combine several in one class).
 *
 * <pre>{@code
 * EventBus bus = EventBus.builder().declare(SightingReported.class)
 *         .observer(new EventObserver() {
 *             public void handle(HandlerRun run) throws Exception {
 *                 long start = System.nanoTime();
 *                 try {
 *                     run.proceed();
 *                 } finally {
 *                     log.debug("{} ran {} (try {}) in {} ns", run.handler(), run.event(), run.attempt(), System.nanoTime() - start);
 *                 }
 *             }
 *         })
 *         .build();
 * }</pre>
 *
 * <h2>What the methods may do</h2>
 * They run synchronously on the bus's threads and must be quick. An observer cannot change what
 * the bus does: an exception from {@link #trace} leaves the context as the bus's
 * {@linkplain EventBus.Builder#traceContext supplier} gave it; in {@link #handle}, the try's
 * outcome is the handler's, whatever the observer throws or returns, and a handler the observer
 * did not {@linkplain HandlerRun#proceed proceed} to runs anyway. Such exceptions go to the
 * thread's uncaught-exception handler. With no observer, the bus pays one null check per
 * envelope and per try.
 */
public interface EventObserver {

    /**
     * The trace and correlation context an event will carry (its {@link Envelope#trace()}, which
     * travels with it through every transport): called once per event, on the emitting thread,
     * when its envelope is made, with the context the bus's
     * {@linkplain EventBus.Builder#traceContext supplier} gave (by default the scope's
     * {@link EventBus#TRACE}). A tracer adds its propagation fields here (a W3C
     * {@code traceparent}). The default returns {@code context}.
     *
     * @param event   the event's declared name
     * @param context the context so far; never null, may be immutable
     * @return the context to store; null means {@code context}
     */
    default Map<String, String> trace(String event, Map<String, String> context) {
        return context;
    }

    /**
     * Runs one try of one handler on one event: must call {@link HandlerRun#proceed()} once, on
     * this thread, and should let what it throws pass. Runs on the handler's thread (the
     * dispatching thread for a {@link HandlerMode#SYNC} handler). A transport's outbox is not a
     * handler: its publishing is not observed here. The default just proceeds.
     *
     * @throws Exception what {@code proceed} threw
     */
    default void handle(HandlerRun run) throws Exception {
        run.proceed();
    }

    /** One try of a handler on an event, for {@link #handle}. */
    interface HandlerRun {
        /** The handler's name. */
        String handler();

        /** The event's declared name. */
        String event();

        /**
         * The event's envelope: its id, time and the trace context it carries (a handler's span
         * continues that trace). Made now if the bus had not needed it yet.
         */
        Envelope<?> envelope();

        /** Which try this is: 1, then 2, ... after failures (the handler's {@code RetryPolicy}). */
        int attempt();

        /** Whether the event came from a transport ({@link EventBus#consume}) rather than this process. */
        boolean remote();

        /**
         * Runs the handler on the event.
         *
         * @throws Exception             what the handler threw (the try failed)
         * @throws IllegalStateException if called a second time
         */
        void proceed() throws Exception;
    }
}
