/**
 * Weft events: {@link dev.weft.events.Event}, {@link dev.weft.events.Property} and the
 * {@link dev.weft.events.EventBus} whose events wait for their scope to succeed (rules E1-E8).
 *
 * <p>The one exported package, {@code dev.weft.events}, is the whole API; the implementation in
 * it is package-private. No dependency but weft-core and the JDK.
 */
module dev.weft.events {
    requires transitive dev.weft.core;
    requires transitive jdk.httpserver;

    exports dev.weft.events;
}
