/**
 * Weft events (rules E1-E8).
 *
 * <ul>
 *   <li>{@code dev.weft.events}: {@link dev.weft.events.Event} and {@link dev.weft.events.Property}
 *   (in-process multicast), and the {@link dev.weft.events.EventBus} whose events wait for their
 *   scope to succeed, with handlers, dead letters and statistics.</li>
 *   <li>{@code dev.weft.events.transport}: the transport SPI ({@code Transport},
 *   {@code TransportMessage}, {@code Delivery}, the {@code Envelope} and its {@code EventCodec},
 *   the {@code Outbox} hook) and the in-memory transport.</li>
 *   <li>{@code dev.weft.events.http}: {@code RequestScopeFilter}, a unit of work per request of
 *   the JDK's HTTP server.</li>
 *   <li>{@code dev.weft.events.worker}: the {@code Worker}, which consumes events from any
 *   transport with deadlines, a concurrency limit, retries and de-duplication.</li>
 * </ul>
 * The machinery is package-private in {@code dev.weft.events}. No dependency but weft-core and the JDK.
 */
module dev.weft.events {
    requires transitive dev.weft.core;
    requires transitive jdk.httpserver;

    exports dev.weft.events;
    exports dev.weft.events.transport;
    exports dev.weft.events.http;
    exports dev.weft.events.worker;
}
