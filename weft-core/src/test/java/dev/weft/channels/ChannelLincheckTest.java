package dev.weft.channels;

import dev.weft.LincheckSupport;
import static dev.weft.LincheckSupport.call;
import static dev.weft.LincheckSupport.scenario;

import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * C1, C2: the operations of a {@code Channel.bounded(2)} are linearizable against a plain
 * sequential buffer of two ({@link Spec}), checked by Lincheck.
 *
 * <p>Lincheck runs scenarios of 2-3 threads calling the operations below on one channel and looks
 * for an order of the calls, consistent with real time, in which the sequential {@link Spec}
 * gives every call the result it actually got. The model-checking mode explores thread switches
 * at every shared-memory access and lock operation (so also inside {@code ChannelCore}'s lock and
 * {@code ChannelWaiter}'s compare-and-set); the stress mode runs the same scenarios on real threads.
 *
 * <p>Random scenarios use only operations that never wait: {@code trySend}, {@code tryReceive},
 * closing either handle and the buffer count. Blocking {@code send}/{@code receive} cannot be put
 * in random scenarios from Java: Lincheck models a call that waits (a "suspension") only for
 * Kotlin suspending functions, and a plain Java call that parks with nobody to wake it is a hang.
 * So the blocking calls run in {@linkplain #blockingScenarios hand-written scenarios} where they
 * always complete; those reach the waiter hand-off ({@code ChannelWaiter.deliver} and
 * {@code completeWith} racing the waiter's own re-check and park). A waiter giving up
 * ({@code tryGiveUp}, after its scope was cancelled) is not modelled here: that needs a scope per
 * operation and a cancellation interrupting a thread the model checker controls (not tried);
 * {@link ChannelStressTest} and {@code ChannelTest.C4Cancellation} cover it.
 *
 * <p>Results are strings (the names {@link ReceiveResult#toString()} uses), so the spec need not
 * build Weft's types and a failure report reads plainly.
 */
@Param(name = "element", gen = IntGen.class, conf = "1:4")
// Lincheck runs a fixed number of scenarios; on a 2-core machine busy with other work they take
// several times their usual 10-20 s, so these tests get 3 minutes instead of the default 30 s
// (a hang still fails, later).
@Timeout(value = 3, unit = TimeUnit.MINUTES)
public class ChannelLincheckTest {

    private final Channel<Integer> channel = Channel.bounded(2);

    /** Lincheck makes a fresh instance, so a fresh channel, for every run of a scenario. */
    public ChannelLincheckTest() {}

    @Operation(params = "element")
    public String trySend(int element) {
        try {
            return channel.sender().trySend(element).name();
        } catch (ChannelClosedException e) {
            return "HANDLE_CLOSED";
        }
    }

    @Operation
    public String tryReceive() {
        try {
            return channel.receiver().tryReceive().toString();
        } catch (ChannelClosedException e) {
            return "HANDLE_CLOSED";
        }
    }

    @Operation(runOnce = true)
    public void closeSender() {
        channel.sender().close();
    }

    @Operation(runOnce = true)
    public void closeReceiver() {
        channel.receiver().close();
    }

    @Operation
    public int bufferUsed() {
        return channel.statistics().bufferUsed();
    }

    /** Blocking; in hand-written scenarios only (see the class comment). */
    public String send(int element) {
        try {
            channel.sender().send(element);
            return "SENT";
        } catch (ChannelClosedException e) {
            return channel.sender().isClosed() ? "HANDLE_CLOSED" : "CLOSED";
        }
    }

    /** Blocking; in hand-written scenarios only (see the class comment). */
    public String receive() {
        try {
            return "RECEIVED(" + channel.receiver().receive() + ")";
        } catch (ChannelClosedException e) {
            return channel.receiver().isClosed() ? "HANDLE_CLOSED" : "CLOSED";
        }
    }

    /** After every run: nobody is left queued (a completed waiter that stayed linked would show here). */
    @Validate
    public void nobodyLeftWaiting() {
        ChannelStatistics s = channel.statistics();
        if (s.waitingSenders() != 0 || s.waitingReceivers() != 0) {
            throw new IllegalStateException("waiters left behind: " + s);
        }
    }

    /** Random scenarios of the non-blocking operations, then the blocking scenarios, each run in many interleavings. */
    @Test
    void c1_modelChecking() {
        blockingScenarios(new ModelCheckingOptions())
                .iterations(15)
                .invocationsPerIteration(40)
                .threads(3)
                .actorsPerThread(3)
                .actorsBefore(2)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .check(getClass());
    }

    @Test
    void c1_stress() {
        LincheckSupport.stress(getClass(), Spec.class);
    }

    /**
     * The hand-written scenarios with blocking calls (see the class comment): in each, every
     * blocking call completes in every interleaving.
     */
    private static ModelCheckingOptions blockingScenarios(ModelCheckingOptions options) {
        Class<?> c = ChannelLincheckTest.class;
        return options
                // A parked receiver is handed the element directly (deliver), or the element is
                // buffered first and the receiver takes it without parking.
                .addCustomScenario(scenario(c, List.of(),
                        List.of(List.of(call("receive")), List.of(call("trySend", 1), call("trySend", 2))),
                        List.of(call("tryReceive"), call("tryReceive"))))
                // Two parked receivers, two elements: each gets one, none is lost or doubled.
                .addCustomScenario(scenario(c, List.of(),
                        List.of(List.of(call("receive")), List.of(call("receive")),
                                List.of(call("trySend", 1), call("trySend", 2))),
                        List.of(call("tryReceive"))))
                // A sender parked on a full buffer: the receive that frees a slot moves its element in (completeWith).
                .addCustomScenario(scenario(c, List.of(call("trySend", 1), call("trySend", 2)),
                        List.of(List.of(call("send", 3)),
                                List.of(call("tryReceive"), call("tryReceive"), call("tryReceive"))),
                        List.of(call("tryReceive"), call("bufferUsed"))))
                // Closing the send side ends a parked receive (CLOSED), or the receive sees it closed.
                .addCustomScenario(scenario(c, List.of(),
                        List.of(List.of(call("receive")), List.of(call("trySend", 1), call("closeSender"))),
                        List.of(call("tryReceive"))))
                // Closing the receive side fails a parked sender (CLOSED) and discards the buffer.
                .addCustomScenario(scenario(c, List.of(call("trySend", 1), call("trySend", 2)),
                        List.of(List.of(call("send", 3)), List.of(call("tryReceive"), call("closeReceiver"))),
                        List.of(call("trySend", 4), call("bufferUsed"))));
    }

    /** The sequential specification: a FIFO buffer of two with two open flags. */
    public static final class Spec {
        private final ArrayDeque<Integer> buffer = new ArrayDeque<>();
        private boolean senderClosed;
        private boolean receiverClosed;

        public Spec() {}

        public String trySend(int element) {
            if (senderClosed) return "HANDLE_CLOSED";
            if (receiverClosed) return "CLOSED";
            if (buffer.size() == 2) return "FULL";
            buffer.addLast(element);
            return "SENT";
        }

        public String tryReceive() {
            if (receiverClosed) return "HANDLE_CLOSED";
            if (!buffer.isEmpty()) return "RECEIVED(" + buffer.pollFirst() + ")";
            return senderClosed ? "CLOSED" : "EMPTY";
        }

        public void closeSender() {
            senderClosed = true;
        }

        public void closeReceiver() {
            receiverClosed = true;
            buffer.clear();
        }

        public int bufferUsed() {
            return buffer.size();
        }

        /**
         * A blocking send completes at the instant it can; where the spec would have to wait,
         * it answers something no real call returns, so that order is not a linearization.
         */
        public String send(int element) {
            String r = trySend(element);
            return r.equals("FULL") ? "WOULD_WAIT" : r;
        }

        public String receive() {
            String r = tryReceive();
            return r.equals("EMPTY") ? "WOULD_WAIT" : r;
        }
    }
}
