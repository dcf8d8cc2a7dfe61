package dev.weft.events.transport;

import java.util.function.Function;

/**
 * Turns an {@link Envelope} into bytes for a {@link Transport} and back (rule E8). The wire form is
 * a JSON object with {@code name}, {@code id}, {@code time} (ISO-8601), {@code trace} (an object
 * of strings) and {@code payload} (the record's components as an object). Never Java serialization.
 *
 * <p>weft-events brings no JSON library; the Jackson codec is in the module
 * {@code weft-events-jackson} ({@code dev.weft.events.jackson.JacksonEventCodec}), so users who
 * only dispatch locally do not pull Jackson (ADR 0018).
 */
public interface EventCodec {

    /** The envelope as bytes. @throws IllegalArgumentException if the payload cannot be encoded */
    byte[] encode(Envelope<?> envelope);

    /**
     * The envelope in {@code bytes}; {@code typeOf} gives the record type declared for a name, or
     * null if the name is not declared.
     *
     * @throws IllegalArgumentException if the bytes are not a valid envelope, or the name is not declared
     */
    Envelope<?> decode(byte[] bytes, Function<String, Class<? extends Record>> typeOf);
}
