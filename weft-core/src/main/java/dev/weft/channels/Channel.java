package dev.weft.channels;

import dev.weft.Weft;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A channel for handing elements from tasks that send to tasks that receive, after AnyIO's
 * memory object streams and Trio's memory channels, with Go/Kotlin-style {@link Select}.
 *
 * <pre>{@code
 * Channel<Job> jobs = Channel.bounded(16);
 * Scope.run(scope -> {
 *     scope.fork(() -> {
 *         try (SendChannel<Job> out = jobs.sender()) {
 *             for (Job j : pending) out.send(j);    // blocks while 16 are buffered
 *         }                                         // closing ends the receivers' loops
 *         return null;
 *     });
 *     try (ReceiveChannel<Job> in = jobs.receiver()) {
 *         for (Job j : in) handle(j);               // drains the buffer, then ends (C2)
 *     }
 *     return null;
 * });
 * }</pre>
 *
 * <p>Three kinds (C1): {@linkplain #rendezvous() rendezvous} (a send waits for a receiver),
 * {@linkplain #bounded(int) bounded} (a send waits while {@code n} elements are buffered) and
 * {@linkplain #unbounded() unbounded} (a send never waits; memory is the limit, so prefer a
 * bound). A channel has one {@link SendChannel} and one {@link ReceiveChannel} to start with;
 * {@code clone()} either end to give it to more tasks. A side is closed when all of its handles
 * are (C3): closing the send side lets receivers drain the buffer and then ends them (C2);
 * closing the receive side makes senders fail.
 *
 * <p>Guarantees: elements are received in the order they were sent by one sender; blocked
 * senders and receivers are served first-come first-served; every blocking operation is a
 * cancellation point and obeys the scope's deadline; and an operation that is cancelled either
 * happened exactly once and returns normally, or did not happen at all and throws
 * {@link dev.weft.Cancelled Cancelled} (C4). All methods are thread-safe. Elements must not be null.
 *
 * @param <T> the element type
 */
public final class Channel<T> {

    /** The {@link ChannelStatistics#capacity()} of an unbounded channel. */
    public static final int UNBOUNDED = ChannelCore.UNBOUNDED;

    private static final AtomicLong NAMES = new AtomicLong();

    private final ChannelCore core;
    private final SendChannel<T> sender;
    private final ReceiveChannel<T> receiver;

    private Channel(String name, int capacity) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a channel name must not be null or blank; omit it to get a generated one");
        }
        this.core = new ChannelCore(name, capacity);
        this.sender = new SendChannel<>(core);
        this.receiver = new ReceiveChannel<>(core);
    }

    private static String generatedName() {
        return "channel-" + NAMES.incrementAndGet();
    }

    /** A channel with no buffer: each {@code send} waits until a receiver takes the element. */
    public static <T> Channel<T> rendezvous() {
        return new Channel<>(generatedName(), 0);
    }

    /** A named {@link #rendezvous()} channel; the name appears in errors and statistics. */
    public static <T> Channel<T> rendezvous(String name) {
        return new Channel<>(name, 0);
    }

    /**
     * A channel that buffers up to {@code capacity} elements; {@code send} waits while it is full.
     *
     * @throws IllegalArgumentException if {@code capacity} is negative
     */
    public static <T> Channel<T> bounded(int capacity) {
        return new Channel<>(generatedName(), checkCapacity(capacity));
    }

    /** A named {@link #bounded(int)} channel; the name appears in errors and statistics. */
    public static <T> Channel<T> bounded(int capacity, String name) {
        return new Channel<>(name, checkCapacity(capacity));
    }

    /** A channel whose {@code send} never waits. Nothing limits its memory: prefer {@link #bounded}. */
    public static <T> Channel<T> unbounded() {
        return new Channel<>(generatedName(), UNBOUNDED);
    }

    /** A named {@link #unbounded()} channel; the name appears in errors and statistics. */
    public static <T> Channel<T> unbounded(String name) {
        return new Channel<>(name, UNBOUNDED);
    }

    /** The deadline {@code timeout} from now on the current scope's clock, for the timed operations. */
    static long until(java.time.Duration timeout) {
        java.util.Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout is negative (" + timeout + "): pass Duration.ZERO to wait not at all");
        }
        return Weft.clock().after(timeout);
    }

    private static int checkCapacity(int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("channel capacity must be >= 0 (0 makes a rendezvous channel), was "
                    + capacity);
        }
        return capacity;
    }

    /** The channel's first send handle (the same object on every call); {@code clone()} it for more. */
    public SendChannel<T> sender() {
        return sender;
    }

    /** The channel's first receive handle (the same object on every call); {@code clone()} it for more. */
    public ReceiveChannel<T> receiver() {
        return receiver;
    }

    /** The channel's name. */
    public String name() {
        return core.name;
    }

    /** An immutable snapshot of the channel's state. */
    public ChannelStatistics statistics() {
        return core.statistics();
    }

    @Override
    public String toString() {
        return "Channel[" + core.name + "]";
    }
}
