package dev.weft.events;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The stable wire name of an event type, e.g. {@code "sighting.reported"}. Without it the name is
 * derived from the record's simple name ({@code SightingReported} becomes
 * {@code "sighting.reported"}); renaming the class then renames the event on the wire, so give
 * events that leave the process a fixed name here or with {@link EventType#named}.
 *
 * <pre>{@code
 * @EventName("sighting.reported")
 * record SightingReported(String species, int count) {}
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface EventName {
    /** The name: lower-case words separated by dots, dashes or underscores. */
    String value();
}
