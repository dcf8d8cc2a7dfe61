package dev.weft.micrometer;

import io.micrometer.observation.transport.Propagator;
import java.util.Map;

/** Reads and writes trace propagation fields (a W3C {@code traceparent}) in an envelope's trace map. */
final class MapCarrier {
    static final Propagator.Setter<Map<String, String>> SETTER = (carrier, key, value) -> {
        if (carrier != null) carrier.put(key, value);
    };
    static final Propagator.Getter<Map<String, String>> GETTER = (carrier, key) -> carrier == null ? null : carrier.get(key);

    private MapCarrier() {}
}
