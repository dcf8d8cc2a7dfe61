package dev.weft.spring;

import dev.weft.events.HandlerMode;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Makes a bean method a handler of an event type. The method takes one parameter, the event's
 * record type (declared with {@link WeftEvent} or an {@code EventType} bean) or an
 * {@code Envelope} of it, and returns {@code void}; anything else fails the application's start
 * with a message naming the method.
 *
 * <pre>{@code
 * @WeftHandler(name = "statistics", mode = HandlerMode.ASYNC, maxAttempts = 5, backoff = "200ms")
 * void count(SightingReported s) { ... }
 *
 * @WeftHandler(name = "tell-birders", worker = true)   // run by the Worker, from the transport
 * void tell(SightingReported s) { ... }
 * }</pre>
 *
 * <p>A bus handler ({@code worker = false}, the default) runs in this process after the emitting
 * unit of work succeeded, with the bus's retries and dead letters; its switch
 * ({@code EventBus.disable(name)}, or the actuator endpoint) turns it off at run time. A worker
 * handler ({@code worker = true}) is registered with the starter's {@code Worker}, which consumes
 * the transport ({@code weft.redis.*}): it sees the events of every process that publishes to the
 * stream, at least once.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
public @interface WeftHandler {

    /** The handler's name (unique in the bus); empty: {@code beanName.methodName}. */
    String name() default "";

    /** {@code SYNC} or {@code ASYNC}; empty: the bus's ({@code weft.handler-mode}). At most one value. Bus handlers only. */
    HandlerMode[] mode() default {};

    /** Tries per event before it is dead-lettered, first try included; 0: the bus's (or the worker's) retry policy. */
    int maxAttempts() default 0;

    /** The first backoff between tries, as a Spring duration ({@code 200ms}, {@code 2s}); empty: the policy's. */
    String backoff() default "";

    /** Run by the starter's {@code Worker} from the transport, instead of by the bus in this process. */
    boolean worker() default false;
}
