package dev.weft.examples.spring;

import dev.weft.spring.WeftEvent;

/** The event: a sighting was stored. Its wire name is fixed for the transport. */
@WeftEvent("sighting.reported")
public record SightingReported(int report, String species, int count) {}
