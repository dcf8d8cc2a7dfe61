package dev.weft.events;

import java.util.List;

/**
 * An immutable snapshot of an {@link EventBus}'s counters (taken without stopping the bus, so
 * counters of different handlers may be a few events apart).
 *
 * @param emitted              events accepted by {@code emit} (held or dispatched)
 * @param rejected             emits refused: undeclared, invalid, queue full, bus closed
 * @param heldInScopes         events held by scopes that have not completed yet (E4)
 * @param discardedByFailedScopes events dropped because their scope failed (policy ON_SUCCESS)
 * @param dispatched           events routed to handlers (locally emitted, after their scope, or received from a transport)
 * @param queued               events in flight now, counted against {@code capacity}: each once, from when it was
 *                             queued for a handler until every handler it went to is done with it (waiting,
 *                             being handled, or waiting for a retry); events held by scopes are in {@code heldInScopes}
 * @param capacity             the bound on {@code queued} (E7), see {@link EventBus.Builder#capacity}
 * @param deadLetters          letters in the dead-letter store now
 * @param handlers             one entry per handler and transport outbox, in registration order
 */
public record BusStatistics(long emitted, long rejected, long heldInScopes, long discardedByFailedScopes,
                            long dispatched, int queued, int capacity, int deadLetters, List<Handler> handlers) {

    /** @throws NullPointerException if handlers is null */
    public BusStatistics {
        handlers = List.copyOf(handlers);
    }

    /**
     * One handler's counters.
     *
     * @param name           its name
     * @param matches        the type or name pattern it matches
     * @param mode           where it runs
     * @param enabled        whether it is switched on (E6)
     * @param queued         events waiting for it, the one waiting for a retry included (not the one it is running;
     *                       for a transport's outbox, the batch being published is included)
     * @param delivered      events it started on
     * @param succeeded      events it handled
     * @param failedAttempts tries that threw
     * @param retries        tries that were repeated after a failure
     * @param deadLettered   events it gave up on
     * @param skipped        events not delivered because it was switched off
     */
    public record Handler(String name, String matches, HandlerMode mode, boolean enabled, int queued, long delivered,
                          long succeeded, long failedAttempts, long retries, long deadLettered, long skipped) {}

    /** The counters of the handler named {@code name}. @throws IllegalArgumentException if there is none */
    public Handler handler(String name) {
        return handlers.stream().filter(h -> h.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no handler named '" + name + "'; handlers: "
                        + handlers.stream().map(Handler::name).toList()));
    }
}
