package dev.weft.channels;

import dev.weft.Cancelled;
import dev.weft.MoveOnResult;
import dev.weft.Scope;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * C4 under random interleavings: many producers and consumers on one channel, every send and
 * receive under a random deadline, and a chaos task cancelling random operations, half of them
 * through {@link Select}. Every element must be accounted for: each send either returned (and
 * then the element is received exactly once) or threw (and then it is never received).
 *
 * <p>{@value #LOCAL_ROUNDS} rounds, {@value #CI_ROUNDS} when {@code CI=true}; replay with
 * {@code -Dweft.stress.seed=<seed>}, resize with {@code -Dweft.channel.stress.rounds=N}.
 */
class ChannelStressTest {
    private static final int LOCAL_ROUNDS = 150;
    private static final int CI_ROUNDS = 1_500;
    private static final int ROUNDS = Integer.getInteger("weft.channel.stress.rounds",
            "true".equalsIgnoreCase(System.getenv("CI")) ? CI_ROUNDS : LOCAL_ROUNDS);
    private static final Object END = new Object();

    private static final AtomicInteger SENT = new AtomicInteger();
    private static final AtomicInteger NOT_SENT = new AtomicInteger();
    private static final AtomicInteger RECEIVE_GAVE_UP = new AtomicInteger();

    @Test
    @Timeout(240)
    void everyElementIsReceivedExactlyOnceOrItsSenderWasToldItWasNotSent() {
        long seed = Long.getLong("weft.stress.seed", System.nanoTime());
        Random seeds = new Random(seed);
        for (int round = 0; round < ROUNDS; round++) {
            String where = "seed " + seed + ", round " + round + " (rerun with -Dweft.stress.seed=" + seed + ")";
            runRound(new Random(seeds.nextLong()), where);
            assertThat(Thread.interrupted()).as("stray interrupt after " + where).isFalse();
        }
        assertThat(SENT.get()).as("the run sent elements").isPositive();
        assertThat(NOT_SENT.get()).as("the run cancelled sends").isPositive();
        assertThat(RECEIVE_GAVE_UP.get()).as("the run cancelled receives").isPositive();
    }

    private static void runRound(Random rnd, String where) {
        int capacity = List.of(0, 1, 3, Channel.UNBOUNDED).get(rnd.nextInt(4));
        Channel<Integer> ch = Channel.bounded(capacity, "stress");
        Channel<Integer> never = Channel.rendezvous("never");
        int producers = 1 + rnd.nextInt(4);
        int consumers = 1 + rnd.nextInt(4);
        int perProducer = 1 + rnd.nextInt(40);
        ConcurrentLinkedQueue<Integer> sent = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Integer> notSent = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Integer> received = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Scope> victims = new ConcurrentLinkedQueue<>();
        AtomicBoolean producing = new AtomicBoolean(true);
        AtomicInteger producersLeft = new AtomicInteger(producers);

        Scope.run(root -> {
            for (int p = 0; p < producers; p++) {
                SendChannel<Integer> out = ch.sender().clone();
                long taskSeed = rnd.nextLong();
                int base = p * 1_000;
                root.fork(() -> {
                    Random r = new Random(taskSeed);
                    try (out) {
                        for (int i = 0; i < perProducer; i++) {
                            int v = base + i;
                            boolean viaSelect = r.nextBoolean();
                            attempt(() -> Scope.moveOnAfter(Duration.ofNanos(r.nextInt(200_000)), s -> {
                                victims.add(s);
                                try {
                                    if (viaSelect) Select.select(out.onSend(v), never.receiver().onReceive(x -> null));
                                    else out.send(v);
                                    sent.add(v);
                                } catch (Cancelled c) {
                                    notSent.add(v);
                                    throw c;
                                }
                                return null;
                            }));
                        }
                    } finally {
                        if (producersLeft.decrementAndGet() == 0) producing.set(false);
                    }
                    return null;
                });
            }
            ch.sender().close(); // the producers' clones keep the send side open
            for (int c = 0; c < consumers; c++) {
                ReceiveChannel<Integer> in = ch.receiver().clone();
                long taskSeed = rnd.nextLong();
                root.fork(() -> {
                    Random r = new Random(taskSeed);
                    try (in) {
                        boolean open = true;
                        while (open) {
                            boolean viaSelect = r.nextBoolean();
                            MoveOnResult<Object> got = attempt(() -> Scope.moveOnAfter(Duration.ofNanos(r.nextInt(200_000)), s -> {
                                victims.add(s);
                                Object e = viaSelect
                                        ? Select.select(in.onReceiveOrClosed(x -> x, () -> END), never.receiver().onReceive(x -> x))
                                        : receiveOrEnd(in, r.nextInt(3) == 0);
                                if (e != END) received.add((Integer) e);
                                return e;
                            }));
                            if (got == null || !got.hasValue()) RECEIVE_GAVE_UP.incrementAndGet();
                            else open = got.value() != END;
                        }
                    }
                    return null;
                });
            }
            root.fork(() -> { // chaos: cancel random operations while the producers run
                Random r = new Random(rnd.nextLong());
                while (producing.get()) {
                    Scope victim = victims.poll();
                    if (victim != null && r.nextInt(4) == 0) victim.cancel("chaos");
                    Thread.yield();
                }
                return null;
            });
            return null;
        });

        Set<Integer> sentSet = new HashSet<>(sent);
        Set<Integer> notSentSet = new HashSet<>(notSent);
        Set<Integer> receivedSet = new HashSet<>(received);
        assertThat(received).as("no element received twice, " + where).hasSameSizeAs(receivedSet);
        Set<Integer> both = new HashSet<>(sentSet);
        both.retainAll(notSentSet);
        assertThat(both).as("no element both sent and not sent, " + where).isEmpty();
        assertThat(sentSet.size() + notSentSet.size()).as("every send has an outcome, " + where)
                .isEqualTo(producers * perProducer);
        assertThat(receivedSet).as("received exactly the elements whose send returned, " + where).isEqualTo(sentSet);
        ChannelStatistics stats = ch.statistics();
        assertThat(stats.waitingSenders() + stats.waitingReceivers()).as("nobody left waiting, " + where).isZero();
        assertThat(never.statistics().waitingReceivers()).as("select clauses unlinked, " + where).isZero();
        SENT.addAndGet(sentSet.size());
        NOT_SENT.addAndGet(notSentSet.size());
    }

    /**
     * Runs one operation in its own scope; the chaos task cancelling that scope makes it throw
     * {@link Cancelled} (a deadline makes it return timed out): either way the task goes on.
     */
    private static <T> MoveOnResult<T> attempt(java.util.function.Supplier<MoveOnResult<T>> op) {
        try {
            return op.get();
        } catch (Cancelled c) {
            assertThat(c.reason().message()).contains("chaos");
            return null;
        }
    }

    /** A blocking receive, or first a tryReceive (so both paths race with cancellation). */
    private static Object receiveOrEnd(ReceiveChannel<Integer> in, boolean tryFirst) {
        if (tryFirst) {
            ReceiveResult<Integer> r = in.tryReceive();
            if (r.isReceived()) return r.value();
            if (r.status() == ReceiveResult.Status.CLOSED) return END;
        }
        try {
            return in.receive();
        } catch (ChannelClosedException e) {
            return END;
        }
    }
}
