package dev.weft.events.worker;

import dev.weft.events.transport.Delivery;
import dev.weft.events.transport.Envelope;

/**
 * Watches a {@link Worker}, for metrics and traces (weft-micrometer implements it): it runs
 * around the handling of each delivery, on the delivery's own task thread, so a span or a timer
 * can enclose every try of the event's handlers, and the handlers see that span as current. Give
 * it to {@link Worker.Builder#observer}.
 *
 * <pre>{@code
 * Worker worker = Worker.builder(transport, codec)
 *         .on(SightingReported.class, s -> statistics.record(s))
 *         .observer(run -> {
 *             long start = System.nanoTime();
 *             WorkerObserver.Outcome outcome = run.proceed();
 *             log.debug("{} {} after {} ns", run.event().name(), outcome, System.nanoTime() - start);
 *         })
 *         .build();
 * }</pre>
 *
 * <p>It sees deliveries the worker runs: not those it acknowledges as duplicates or
 * dead-letters undecoded (both are in {@link WorkerStatistics}). It must be quick, must call
 * {@link DeliveryRun#proceed()} once, and cannot change the outcome: an exception it throws goes
 * to the thread's uncaught-exception handler, and a delivery it did not proceed with is handled
 * anyway.
 */
@FunctionalInterface
public interface WorkerObserver {

    /**
     * Runs the handling of one delivery: every try of the event's handlers, then its
     * acknowledgement or rejection. Must call {@link DeliveryRun#proceed()} once, on this thread.
     */
    void deliver(DeliveryRun run);

    /** How the handling of a delivery ended, when {@link DeliveryRun#proceed()} returns. */
    enum Outcome {
        /** Every handler succeeded; the delivery was acknowledged. */
        HANDLED,
        /**
         * The last try failed; the delivery was rejected (delivered again, or dead-lettered by the
         * transport), or parked in the worker's dead-letter store and acknowledged ({@link Worker.Builder#deadLetters}).
         */
        REJECTED
    }

    /** One delivery being handled, for {@link #deliver}. */
    interface DeliveryRun {
        /** The worker's consumer group. */
        String group();

        /** The worker's consumer name. */
        String consumer();

        /** The delivery, with its {@link Delivery#deliveryCount()} (more than 1: a redelivery). */
        Delivery delivery();

        /** The decoded event, with the trace context it carries ({@link Envelope#trace()}). */
        Envelope<?> event();

        /**
         * Handles the delivery: runs its tries and settles it.
         *
         * @return how it ended
         * @throws dev.weft.Cancelled    if the worker was shut down past its grace period (the delivery is left unacknowledged)
         * @throws IllegalStateException if called a second time
         */
        Outcome proceed();
    }
}
