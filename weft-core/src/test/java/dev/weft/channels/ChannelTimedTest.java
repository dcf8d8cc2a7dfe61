package dev.weft.channels;

import dev.weft.Cancelled;
import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.Task;
import static dev.weft.channels.ChannelTest.awaitWaiting;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

/**
 * Timed {@code send(e, timeout)} and {@code receive(timeout)}: the time is the scope's clock (a
 * FakeClock here, advanced only once the operation is known to wait), and a time-out loses and
 * duplicates nothing (C4), including when it races a transfer.
 */
class ChannelTimedTest {

    private final FakeClock clock = new FakeClock();

    @Test
    void aSendThatFindsNoRoomInTimeReturnsFalseAndSendsNothing() {
        Channel<String> ch = Channel.bounded(1);
        ch.sender().send("first");
        Boolean sent = Scope.builder().clock(clock).run(scope -> {
            Task<Boolean> sender = scope.fork(() -> ch.sender().send("second", Duration.ofSeconds(1)));
            awaitWaiting(ch, 1, 0);
            clock.awaitTimers(1);
            clock.advance(Duration.ofMillis(999));
            assertThat(sender.isDone()).as("still within its time").isFalse();
            clock.advance(Duration.ofMillis(1));
            return sender.join();
        });
        assertThat(sent).isFalse();
        assertThat(ch.statistics().waitingSenders()).as("the timed-out sender left the queue").isZero();
        assertThat(ch.receiver().receive()).isEqualTo("first");
        assertThat(ch.receiver().tryReceive().status()).as("'second' was never sent").isEqualTo(ReceiveResult.Status.EMPTY);
        assertThat(clock.pendingTimers()).as("no timer left behind").isZero();
    }

    @Test
    void aSendThatMeetsAReceiverInTimeReturnsTrue() {
        Channel<String> ch = Channel.rendezvous();
        String got = Scope.builder().clock(clock).run(scope -> {
            Task<Boolean> sender = scope.fork(() -> ch.sender().send("x", Duration.ofSeconds(1)));
            awaitWaiting(ch, 1, 0);
            String v = ch.receiver().receive();
            assertThat(sender.join()).isTrue();
            return v;
        });
        assertThat(got).isEqualTo("x");
        assertThat(clock.pendingTimers()).isZero();
    }

    @Test
    void aReceiveThatGetsNothingInTimeIsEmptyAndTakesNothing() {
        Channel<String> ch = Channel.rendezvous();
        Optional<String> got = Scope.builder().clock(clock).run(scope -> {
            Task<Optional<String>> receiver = scope.fork(() -> ch.receiver().receive(Duration.ofMillis(200)));
            awaitWaiting(ch, 0, 1);
            clock.awaitTimers(1);
            clock.advance(Duration.ofMillis(200));
            return receiver.join();
        });
        assertThat(got).isEmpty();
        assertThat(ch.statistics().waitingReceivers()).isZero();
        assertThat(ch.sender().trySend("later")).as("no receiver is left waiting").isEqualTo(SendResult.FULL);
    }

    @Test
    void aReceiveGetsWhatIsThereAndSeesTheEndAsReceiveDoes() {
        Channel<Integer> ch = Channel.bounded(2);
        ch.sender().send(1);
        ch.sender().close();
        assertThat(ch.receiver().receive(Duration.ZERO)).contains(1);
        assertThatThrownBy(() -> ch.receiver().receive(Duration.ofSeconds(5))).isInstanceOf(ChannelClosedException.class);
    }

    @Test
    void zeroMeansDoNotWait_andNegativeOrNullIsRefused() {
        Channel<String> ch = Channel.rendezvous();
        assertThat(ch.sender().send("x", Duration.ZERO)).isFalse();
        assertThat(ch.receiver().receive(Duration.ZERO)).isEmpty();
        assertThat(ch.statistics().waitingSenders() + ch.statistics().waitingReceivers()).isZero();
        assertThatThrownBy(() -> ch.sender().send("x", Duration.ofMillis(-1))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("timeout is negative");
        assertThatThrownBy(() -> ch.receiver().receive(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void s3_cancellationWinsOverTheTimeLeft() {
        Channel<String> ch = Channel.rendezvous();
        Throwable t = Scope.builder().clock(clock).run(scope -> {
            Task<Throwable> receiver = scope.fork(() -> catchThrowable(() -> ch.receiver().receive(Duration.ofHours(1))));
            awaitWaiting(ch, 0, 1);
            receiver.cancel("stop");
            return receiver.join();
        });
        assertThat(t).isInstanceOf(Cancelled.class);
        assertThat(clock.pendingTimers()).isZero();
    }

    @Test
    void c4_timeOutsRacingTransfersLoseAndDuplicateNothing() throws Exception {
        // Real clock, timeouts of 0-50 µs on both sides of a rendezvous channel: many operations
        // time out at the very moment the other side arrives. Every element whose send returned
        // true is received exactly once; every element whose send returned false never is.
        int rounds = Boolean.parseBoolean(System.getenv("CI")) ? 200 : 50;
        SplittableRandom seeds = new SplittableRandom(Long.getLong("weft.stress.seed", System.nanoTime()));
        for (int round = 0; round < rounds; round++) {
            long seed = seeds.nextLong();
            Channel<Integer> ch = Channel.rendezvous();
            Set<Integer> sent = ConcurrentHashMap.newKeySet();
            List<Integer> received = new ArrayList<>();
            Scope.run(scope -> {
                scope.fork(() -> {
                    SplittableRandom r = new SplittableRandom(seed);
                    for (int i = 0; i < 200; i++) {
                        if (ch.sender().send(i, Duration.ofNanos(r.nextInt(50_000)))) sent.add(i);
                    }
                    ch.sender().close();
                    return null;
                });
                SplittableRandom r = new SplittableRandom(~seed);
                while (true) {
                    Optional<Integer> got;
                    try {
                        got = ch.receiver().receive(Duration.ofNanos(r.nextInt(50_000)));
                    } catch (ChannelClosedException end) {
                        break;
                    }
                    got.ifPresent(received::add);
                }
                return null;
            });
            assertThat(new HashSet<>(received)).as("round %d (seed %d): no duplicates", round, seed).hasSize(received.size());
            assertThat(new HashSet<>(received)).as("round %d (seed %d)", round, seed).isEqualTo(sent);
        }
    }
}
