package dev.weft.channels;

import dev.weft.Cancelled;
import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.Task;
import static dev.weft.channels.ChannelTest.awaitWaiting;
import static dev.weft.TestSupport.catchCancelled;
import static dev.weft.TestSupport.inThread;
import static dev.weft.TestSupport.outcome;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.FutureTask;
import org.junit.jupiter.api.Test;

/** C5: select completes exactly one of its operations. */
class SelectTest {

    /** Waiters still linked in the channel's queues, stale select clauses included: none may be left behind. */
    static int linked(Channel<?> ch) {
        ChannelCore core = ch.sender().core;
        core.lock.lock();
        try {
            return core.senders.linkedCount() + core.receivers.linkedCount();
        } finally {
            core.lock.unlock();
        }
    }

    @Test
    void completesTheFirstReadyClauseOnlyAndLeavesTheOthersUntouched() {
        Channel<String> a = Channel.bounded(1);
        Channel<String> b = Channel.bounded(1);
        a.sender().send("from a");
        b.sender().send("from b");
        String got = Select.select(a.receiver().onReceive(), b.receiver().onReceive());
        assertThat(got).as("clauses are tried in order (biased)").isEqualTo("from a");
        assertThat(b.statistics().bufferUsed()).as("the other clause did not happen").isEqualTo(1);
        assertThat(Select.<String>select(a.receiver().onReceive(v -> "a:" + v), b.receiver().onReceive(v -> "b:" + v)))
                .isEqualTo("b:from b");
    }

    @Test
    void waitsUntilAClauseCanCompleteAndUnlinksTheOtherClauses() {
        Channel<String> a = Channel.rendezvous();
        Channel<String> b = Channel.rendezvous();
        String got = Scope.run(scope -> {
            Task<String> selecting = scope.fork(() -> Select.select(
                    a.receiver().onReceive(v -> "a:" + v), b.receiver().onReceive(v -> "b:" + v)));
            awaitWaiting(a, 0, 1);
            awaitWaiting(b, 0, 1);
            b.sender().send("hi");
            return selecting.join();
        });
        assertThat(got).isEqualTo("b:hi");
        assertThat(a.statistics().waitingReceivers()).as("the losing clause left a's queue").isZero();
        assertThat(linked(a)).as("and was unlinked, not just abandoned").isZero();
        assertThat(a.sender().trySend("nobody")).as("nobody waits on a any more").isEqualTo(SendResult.FULL);
    }

    @Test
    void aSendClauseCompletesWhenAReceiverArrives() {
        Channel<String> out = Channel.rendezvous();
        Channel<String> in = Channel.rendezvous();
        String got = Scope.run(scope -> {
            Task<String> selecting = scope.fork(() -> Select.select(
                    out.sender().onSend("payload", () -> "sent"), in.receiver().onReceive()));
            awaitWaiting(out, 1, 0);
            assertThat(out.receiver().receive()).isEqualTo("payload");
            return selecting.join();
        });
        assertThat(got).isEqualTo("sent");
        assertThat(in.statistics().waitingReceivers()).isZero();
    }

    @Test
    void aSendClauseIntoFreeBufferSpaceCompletesAtOnce() {
        Channel<Integer> ch = Channel.bounded(1);
        Void v = Select.select(ch.sender().onSend(5));
        assertThat(v).isNull();
        assertThat(ch.receiver().receive()).isEqualTo(5);
    }

    @Test
    void twoSelectsOnOppositeSidesOfARendezvousChannelMeet() {
        Channel<Integer> ch = Channel.rendezvous();
        Channel<Integer> idle = Channel.rendezvous();  // nobody receives from it
        Channel<Integer> other = Channel.rendezvous(); // nobody sends to it
        List<Object> got = Scope.run(scope -> {
            Task<Integer> receiving = scope.fork(() -> Select.select(
                    other.receiver().onReceive(), ch.receiver().onReceive()));
            awaitWaiting(ch, 0, 1);
            String sent = Select.select(idle.sender().onSend(-1, () -> "idle"), ch.sender().onSend(42, () -> "ch"));
            return List.of(sent, receiving.join());
        });
        assertThat(got).containsExactly("ch", 42);
        assertThat(other.statistics().waitingReceivers()).isZero();
        assertThat(idle.statistics().waitingSenders()).isZero();
    }

    @Test
    void selectOrDefaultNeverWaits() {
        Channel<String> a = Channel.rendezvous();
        String got = Select.selectOrDefault(() -> "nothing ready", a.receiver().onReceive(), a.sender().onSend("x", () -> "sent"));
        assertThat(got).isEqualTo("nothing ready");
        assertThat(a.statistics().waitingReceivers() + a.statistics().waitingSenders()).isZero();
    }

    @Test
    void selectWithinTimesOutOnTheScopesClockAndPerformsNothing() throws Throwable {
        FakeClock clock = new FakeClock();
        Channel<String> a = Channel.rendezvous();
        FutureTask<String> owner = inThread(() -> Scope.builder().clock(clock).run(scope ->
                Select.selectWithin(Duration.ofSeconds(2), () -> "timed out", a.receiver().onReceive())));
        awaitWaiting(a, 0, 1);
        clock.awaitTimers(1);
        clock.advance(Duration.ofSeconds(1));
        assertThat(owner.isDone()).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(outcome(owner)).isEqualTo("timed out");
        assertThat(linked(a)).isZero();
        assertThatThrownBy(() -> Select.selectWithin(Duration.ofSeconds(-1), () -> "x", a.receiver().onReceive()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
    }

    @Test
    void aCancelledSelectPerformsNoneOfItsOperations() {
        Channel<String> a = Channel.rendezvous();
        Channel<String> b = Channel.bounded(1);
        b.sender().send("fills b");
        Cancelled c = Scope.run(scope -> {
            Task<Cancelled> selecting = scope.fork(() -> catchCancelled(() -> Select.select(
                    a.receiver().onReceive(), b.sender().onSend("not sent"))));
            awaitWaiting(a, 0, 1);
            awaitWaiting(b, 1, 0);
            selecting.cancel("enough");
            return selecting.join();
        });
        assertThat(c.reason().message()).contains("enough");
        assertThat(linked(a)).isZero();
        assertThat(linked(b)).isZero();
        assertThat(b.receiver().receive()).isEqualTo("fills b");
        assertThat(b.receiver().tryReceive().status()).isEqualTo(ReceiveResult.Status.EMPTY);
    }

    @Test
    void aClosedChannelIsReadyAndEitherThrowsOrRunsOnClosed() {
        Channel<String> done = Channel.rendezvous();
        Channel<String> idle = Channel.rendezvous();
        done.sender().close();
        assertThatThrownBy(() -> Select.select(idle.receiver().onReceive(), done.receiver().onReceive()))
                .isInstanceOf(ChannelClosedException.class).hasMessageContaining("drained");
        String got = Select.select(idle.receiver().onReceive(), done.receiver().onReceiveOrClosed(v -> v, () -> "ended"));
        assertThat(got).isEqualTo("ended");
        Channel<String> deaf = Channel.bounded(1);
        deaf.receiver().close();
        assertThatThrownBy(() -> Select.select(deaf.sender().onSend("x")))
                .isInstanceOf(ChannelClosedException.class).hasMessageContaining("no open receivers");
    }

    @Test
    void aWaitingReceiveClauseSeesTheEndWhenTheLastSenderCloses() {
        Channel<String> ch = Channel.rendezvous();
        Channel<String> idle = Channel.rendezvous();
        String got = Scope.run(scope -> {
            Task<String> selecting = scope.fork(() -> Select.select(idle.receiver().onReceive(),
                    ch.receiver().onReceiveOrClosed(v -> v, () -> "ended")));
            awaitWaiting(ch, 0, 1);
            ch.sender().close();
            return selecting.join();
        });
        assertThat(got).isEqualTo("ended");
    }

    @Test
    void aWaitingSelectWhoseScopeIsCancelledAsTheSendersCloseThrowsCancelled_S3() {
        // A close is not a transfer: with the scope cancelled, Cancelled wins whichever came first.
        for (int round = 0; round < 200; round++) {
            Channel<String> ch = Channel.rendezvous();
            Channel<String> idle = Channel.rendezvous();
            Throwable thrown = Scope.run(scope -> {
                Task<Throwable> selecting = scope.fork(() -> org.assertj.core.api.Assertions.catchThrowable(() -> Select.select(
                        idle.receiver().onReceive(), ch.receiver().onReceiveOrClosed(v -> v, () -> "ended"))));
                awaitWaiting(ch, 0, 1);
                selecting.cancel("stop");
                ch.sender().close();
                return selecting.join();
            });
            assertThat(thrown).as("round %d", round).isInstanceOf(Cancelled.class);
        }
    }

    @Test
    void theSameChannelTwiceInOneSelectIsLockedOnce() {
        Channel<String> ch = Channel.bounded(1);
        String got = Select.select(ch.receiver().onReceive(v -> "r"), ch.sender().onSend("s", () -> "sent"));
        assertThat(got).isEqualTo("sent");
        assertThat(Select.<String>select(List.of(ch.receiver().onReceive(v -> "r:" + v), ch.sender().onSend("t", () -> "sent"))))
                .isEqualTo("r:s");
    }

    @Test
    void aZeroTimeoutNeverWaitsAndLeavesNothingQueued() {
        Channel<String> a = Channel.rendezvous();
        assertThat(Select.<String>selectWithin(Duration.ZERO, () -> "now", a.receiver().onReceive())).isEqualTo("now");
        assertThat(linked(a)).isZero();
        a.sender().close();
        assertThat(Select.<String>selectWithin(Duration.ZERO, () -> "now", a.receiver().onReceiveOrClosed(v -> v, () -> "closed")))
                .as("a clause that is ready still wins over a zero timeout").isEqualTo("closed");
    }

    @Test
    void selectIsACancellationPointEvenWhenAClauseIsReady() {
        Channel<String> ch = Channel.bounded(1);
        ch.sender().send("ready");
        Scope.run(scope -> {
            scope.cancel("stop");
            catchCancelled(() -> Select.select(ch.receiver().onReceive()));
            catchCancelled(() -> Select.selectWithin(Duration.ofSeconds(1), () -> "t", ch.receiver().onReceive()));
            assertThat(Select.<String>selectOrDefault(() -> "none", ch.receiver().onReceive()))
                    .as("selectOrDefault never waits, so it is not a cancellation point").isEqualTo("ready");
            Thread.interrupted();
            return null;
        });
    }

    @Test
    void selectsLockingTheSameChannelsInOppositeClauseOrderDoNotDeadlock() {
        // Each select locks both channels; without one global lock order, two selects naming them
        // in opposite order would sooner or later hold one lock each and wait for the other.
        Channel<Integer> a = Channel.bounded(1);
        Channel<Integer> b = Channel.bounded(1);
        int rounds = 20_000;
        int received = Scope.run(scope -> {
            scope.fork(() -> {
                for (int i = 0; i < rounds; i++) Select.select(a.sender().onSend(i), b.sender().onSend(i));
                return null;
            });
            scope.fork(() -> {
                for (int i = 0; i < rounds; i++) Select.select(b.sender().onSend(i), a.sender().onSend(i));
                return null;
            });
            int n = 0;
            for (int i = 0; i < 2 * rounds; i++) {
                Select.select(b.receiver().onReceive(), a.receiver().onReceive());
                n++;
            }
            return n;
        });
        assertThat(received).isEqualTo(2 * rounds);
        assertThat(linked(a) + linked(b)).isZero();
    }

    @Test
    void badArgumentsAreRejected() {
        assertThatThrownBy(() -> Select.select()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least one clause");
        Channel<String> ch = Channel.bounded(1);
        assertThatThrownBy(() -> Select.select(ch.receiver().onReceive(), null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("clause 1");
        ch.receiver().close();
        assertThatThrownBy(() -> Select.select(ch.receiver().onReceive())).isInstanceOf(ChannelClosedException.class);
    }
}
