package dev.weft.spring;

import dev.weft.events.DispatchPolicy;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Declares a record as an event type of the application's {@code EventBus}. The starter finds
 * such records by scanning the application's packages (those of the {@code @SpringBootApplication}
 * class, or {@code weft.events.packages}); an {@code EventType} bean declares one as well, with
 * validators.
 *
 * <pre>{@code
 * @WeftEvent("sighting.reported")
 * public record SightingReported(int report, String species, int count) {}
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface WeftEvent {

    /** The event's wire name; empty: the {@code @EventName}, else the record's simple name (as {@code EventType.of}). */
    String value() default "";

    /**
     * The dispatch policy of this type (after the scope succeeds, always, or at once); empty: the
     * bus's ({@code weft.dispatch-policy}). At most one value.
     */
    DispatchPolicy[] dispatch() default {};
}
