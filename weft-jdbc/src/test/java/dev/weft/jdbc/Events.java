package dev.weft.jdbc;

import dev.weft.events.EventName;

/** The events of the tests. */
final class Events {
    private Events() {}

    @EventName("sighting.reported")
    public record SightingReported(long id, String species, int count) {}

    @EventName("nest.found")
    public record NestFound(String species, int n) {}
}
