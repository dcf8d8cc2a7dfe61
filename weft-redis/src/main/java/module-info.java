/**
 * Weft's Redis transports (rules R1-R4): {@link dev.weft.redis.RedisStreamsTransport}, Redis
 * Streams with consumer groups for at-least-once delivery, on Lettuce.
 *
 * <p>The one exported package, {@code dev.weft.redis}, is the whole API; the implementation in it
 * is package-private.
 */
// Lettuce has no module descriptor, only an Automatic-Module-Name: lettuce.core.
@SuppressWarnings("requires-automatic")
module dev.weft.redis {
    requires transitive dev.weft.events;
    requires lettuce.core;

    exports dev.weft.redis;
}
