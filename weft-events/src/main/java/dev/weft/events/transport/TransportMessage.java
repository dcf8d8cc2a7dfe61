package dev.weft.events.transport;

import java.util.Arrays;
import java.util.Objects;

/**
 * An encoded event as a {@link Transport} carries it: the event's id and name (so a broker can
 * route and de-duplicate without decoding) and the bytes an {@link EventCodec} made (JSON, E8).
 *
 * @param id   the event's unique id
 * @param name the event's declared name
 * @param body the encoded envelope; not copied, do not change it
 */
public record TransportMessage(String id, String name, byte[] body) {
    /** @throws NullPointerException if a component is null */
    public TransportMessage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(body, "body");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TransportMessage m && id.equals(m.id) && name.equals(m.name) && Arrays.equals(body, m.body);
    }

    @Override
    public int hashCode() {
        return id.hashCode();
    }

    @Override
    public String toString() {
        return "TransportMessage[" + name + " " + id + ", " + body.length + " bytes]";
    }
}
