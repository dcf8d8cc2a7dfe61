/**
 * Metrics and traces of Weft through Micrometer (issue 14): {@link dev.weft.micrometer.WeftMicrometer}
 * gives the scope observer, the loader listener and the event bus and worker observers that record
 * Micrometer meters and Micrometer Observations (spans, once Micrometer Tracing is set up), and carry
 * the trace context into forked tasks and, as a W3C {@code traceparent}, across transports. No Spring
 * needed; the Spring Boot starter wires it from Boot's registries.
 */
// Micrometer has no module descriptors, only Automatic-Module-Names; its types are in this module's API.
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"})
module dev.weft.micrometer {
    requires transitive dev.weft.events;
    requires transitive micrometer.core;
    requires transitive micrometer.observation;
    requires transitive micrometer.commons;

    exports dev.weft.micrometer;
}
