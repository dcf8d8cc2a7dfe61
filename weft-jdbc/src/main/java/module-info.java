/**
 * Weft's durable events on plain JDBC (issue 13): {@link dev.weft.jdbc.JdbcOutbox}, a transactional
 * outbox whose events commit or roll back with the business data, and
 * {@link dev.weft.jdbc.OutboxRelay}, which publishes committed events to any
 * {@link dev.weft.events.transport.Transport}.
 *
 * <p>The one exported package, {@code dev.weft.jdbc}, is the whole API. Needs weft-events and
 * {@code java.sql} only; the database driver is the application's.
 */
module dev.weft.jdbc {
    requires transitive dev.weft.events;
    requires transitive java.sql;

    exports dev.weft.jdbc;
}
