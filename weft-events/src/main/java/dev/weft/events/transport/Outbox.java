package dev.weft.events.transport;

/**
 * SPI: a transactional outbox, where an {@link dev.weft.events.EventBus EventBus} writes the events it would send to a
 * transport, inside the database transaction of the unit of work that emits them, so an event
 * is stored if and only if the business data it describes is committed (ADR 0040). A relay of
 * the outbox's own (weft-jdbc: {@code OutboxRelay}) then publishes the stored events to a
 * {@link Transport}. The bus never sends these events to a transport itself, so there is no
 * in-memory path to fall back on.
 *
 * <pre>{@code
 * JdbcOutbox outbox = JdbcOutbox.builder(dataSource).build();
 * EventBus bus = EventBus.builder().declare(SightingReported.class).codec(new JacksonEventCodec()).outbox(outbox).build();
 * outbox.transaction(connection -> { insertSighting(connection, s); bus.emit(new SightingReported(..)); return null; });
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>{@link #add} is called by {@code emit} on the emitting thread, after the event was
 *   validated and encoded, for every event whose name matches the outbox's pattern. It stores the
 *   message with the transaction of the unit of work this thread runs in (implementations find it
 *   through a {@link dev.weft.ContextKey} they bind), or returns {@code false} if there is none:
 *   the bus then refuses the emit ({@link dev.weft.events.EventRejectedException.Reason#NO_UNIT_OF_WORK EventRejectedException.Reason.NO_UNIT_OF_WORK}) with
 *   {@link #howToEmit()} in its message.</li>
 *   <li>A message added is published after its transaction commits, never if it rolls back. The
 *   event follows the transaction, not the scope it was emitted in: an event emitted in a nested
 *   scope that failed, when the failure was caught and the transaction committed, is published
 *   like the rows that scope wrote. Local handlers still follow the scope (E4).</li>
 *   <li>Thread-safe: tasks of one unit of work may emit at once.</li>
 * </ul>
 */
public interface Outbox {

    /** A short name for messages, e.g. {@code jdbc:weft_outbox}. */
    String name();

    /**
     * Stores {@code message} with the transaction of the unit of work this thread runs in.
     *
     * @return false, having stored nothing, if this thread runs in no unit of work of this outbox
     * @throws RuntimeException if the unit of work can take no more events (its transaction is
     *                          over); the emit fails with it
     */
    boolean add(TransportMessage message);

    /** How to emit correctly, for the message of a refused emit; e.g. "emit it inside outbox.transaction(connection -> ...)". */
    default String howToEmit() {
        return "emit it inside a unit of work of outbox '" + name() + "'";
    }
}
