/**
 * Weft's Redis transports (rules R1-R4): {@link dev.weft.redis.RedisStreamsTransport}, Redis
 * Streams with consumer groups for at-least-once delivery, on Lettuce.
 *
 * <p>The one exported package, {@code dev.weft.redis}, is the whole API; the implementation in it
 * is package-private.
 */
// Lettuce has no module descriptor, only an Automatic-Module-Name: lettuce.core. The Netty
// modules (Lettuce's own dependencies) are read for one thing: replacing Lettuce's command
// encoder, which logs passwords at TRACE, in each channel's pipeline (QuietCommandEncoder).
@SuppressWarnings("requires-automatic")
module dev.weft.redis {
    requires transitive dev.weft.events;
    requires lettuce.core;
    requires io.netty.buffer;
    requires io.netty.codec;
    requires io.netty.transport;

    exports dev.weft.redis;
}
