package dev.weft.channels;

import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.DeadlineExceeded;
import dev.weft.FakeClock;
import dev.weft.MoveOnResult;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.TestSupport;
import static dev.weft.TestSupport.catchCancelled;
import static dev.weft.TestSupport.inThread;
import static dev.weft.TestSupport.outcome;
import static dev.weft.TestSupport.spinUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Channels: C1 (kinds, blocking and non-blocking operations), C2 (close), C4 (cancellation). */
class ChannelTest {

    /** A task blocked in send/receive on {@code ch}: waits until the channel's statistics show it. */
    static void awaitWaiting(Channel<?> ch, int senders, int receivers) {
        spinUntil(senders + " senders and " + receivers + " receivers waiting on " + ch, () -> {
            ChannelStatistics s = ch.statistics();
            return s.waitingSenders() == senders && s.waitingReceivers() == receivers;
        });
    }

    @Nested
    class C1Kinds {
        @Test
        void rendezvousSendWaitsForAReceiver() {
            Channel<String> ch = Channel.rendezvous();
            String got = Scope.run(scope -> {
                Task<Void> sender = scope.fork(() -> {
                    ch.sender().send("a");
                    return null;
                });
                awaitWaiting(ch, 1, 0);
                assertThat(sender.isDone()).as("send returns only once a receiver took the element").isFalse();
                return ch.receiver().receive();
            });
            assertThat(got).isEqualTo("a");
            assertThat(ch.statistics().waitingSenders()).isZero();
        }

        @Test
        void rendezvousReceiveWaitsForASender() {
            Channel<Integer> ch = Channel.rendezvous();
            int got = Scope.run(scope -> {
                Task<Integer> receiver = scope.fork(() -> ch.receiver().receive());
                awaitWaiting(ch, 0, 1);
                ch.sender().send(7);
                return receiver.join();
            });
            assertThat(got).isEqualTo(7);
        }

        @Test
        void boundedZeroIsARendezvousChannel() {
            Channel<Integer> ch = Channel.bounded(0);
            assertThat(ch.statistics().capacity()).isZero();
            assertThat(ch.sender().trySend(1)).isEqualTo(SendResult.FULL);
        }

        @Test
        void rendezvousTrySendSucceedsOnlyWhenAReceiverWaits() {
            Channel<Integer> ch = Channel.rendezvous();
            assertThat(ch.sender().trySend(1)).isEqualTo(SendResult.FULL);
            int got = Scope.run(scope -> {
                Task<Integer> receiver = scope.fork(() -> ch.receiver().receive());
                awaitWaiting(ch, 0, 1);
                assertThat(ch.sender().trySend(2)).isEqualTo(SendResult.SENT);
                return receiver.join();
            });
            assertThat(got).isEqualTo(2);
        }

        @Test
        void boundedBuffersUpToItsCapacityThenSendWaits() {
            Channel<Integer> ch = Channel.bounded(2);
            ch.sender().send(1);
            ch.sender().send(2);
            assertThat(ch.sender().trySend(3)).isEqualTo(SendResult.FULL);
            assertThat(ch.statistics().bufferUsed()).isEqualTo(2);
            List<Integer> got = Scope.run(scope -> {
                Task<Void> third = scope.fork(() -> {
                    ch.sender().send(3);
                    return null;
                });
                awaitWaiting(ch, 1, 0);
                List<Integer> out = new ArrayList<>();
                out.add(ch.receiver().receive()); // frees a slot: the waiting sender's element moves in
                third.join();
                out.add(ch.receiver().receive());
                out.add(ch.receiver().receive());
                return out;
            });
            assertThat(got).containsExactly(1, 2, 3);
        }

        @Test
        void tryReceiveSaysEmptyThenReceived() {
            Channel<String> ch = Channel.bounded(1);
            assertThat(ch.receiver().tryReceive().status()).isEqualTo(ReceiveResult.Status.EMPTY);
            assertThat(ch.receiver().tryReceive().isReceived()).isFalse();
            ch.sender().send("x");
            ReceiveResult<String> r = ch.receiver().tryReceive();
            assertThat(r.status()).isEqualTo(ReceiveResult.Status.RECEIVED);
            assertThat(r.value()).isEqualTo("x");
            assertThatThrownBy(() -> ch.receiver().tryReceive().value())
                    .isInstanceOf(NoSuchElementException.class).hasMessageContaining("EMPTY");
        }

        @Test
        void tryReceiveTakesFromAWaitingSenderOnARendezvousChannel() {
            Channel<String> ch = Channel.rendezvous();
            Scope.run(scope -> {
                Task<Void> sender = scope.fork(() -> {
                    ch.sender().send("handed");
                    return null;
                });
                awaitWaiting(ch, 1, 0);
                assertThat(ch.receiver().tryReceive().value()).isEqualTo("handed");
                sender.join();
                return null;
            });
        }

        @Test
        void unboundedSendNeverWaits() {
            Channel<Integer> ch = Channel.unbounded();
            for (int i = 0; i < 10_000; i++) ch.sender().send(i);
            assertThat(ch.statistics().bufferUsed()).isEqualTo(10_000);
            assertThat(ch.statistics().capacity()).isEqualTo(Channel.UNBOUNDED);
            ch.sender().close();
            assertThat(ch.receiver().stream().mapToInt(Integer::intValue).sum())
                    .isEqualTo(IntStream.range(0, 10_000).sum());
        }

        @Test
        void elementsFromOneSenderArriveInOrderAndBlockedSendersAreServedFirstComeFirstServed() {
            Channel<Integer> ch = Channel.rendezvous();
            List<Integer> got = Scope.run(scope -> {
                for (int i = 0; i < 5; i++) {
                    int v = i;
                    scope.fork(() -> {
                        ch.sender().send(v);
                        return null;
                    });
                    awaitWaiting(ch, i + 1, 0); // sender i queues after sender i-1
                }
                List<Integer> out = new ArrayList<>();
                for (int i = 0; i < 5; i++) out.add(ch.receiver().receive());
                return out;
            });
            assertThat(got).containsExactly(0, 1, 2, 3, 4);
        }

        @Test
        void badArgumentsAreRejectedWithAClearMessage() {
            assertThatThrownBy(() -> Channel.bounded(-1))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(">= 0").hasMessageContaining("-1");
            assertThatThrownBy(() -> Channel.bounded(1, " "))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("name");
            Channel<String> ch = Channel.bounded(1);
            assertThatThrownBy(() -> ch.sender().send(null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("null elements");
            assertThatThrownBy(() -> ch.sender().trySend(null)).isInstanceOf(NullPointerException.class);
            assertThat(ch.statistics().bufferUsed()).as("nothing was accepted").isZero();
        }

        @Test
        void statisticsAreASnapshot() {
            Channel<String> ch = Channel.bounded(4, "jobs");
            ch.sender().send("a");
            ChannelStatistics s = ch.statistics();
            ch.sender().send("b");
            assertThat(s).isEqualTo(new ChannelStatistics("jobs", 1, 4, 1, 1, 0, 0, 0));
            assertThat(ch.receiver().statistics().bufferUsed()).isEqualTo(2);
            assertThat(ch.name()).isEqualTo("jobs");
            assertThat(ch.toString()).contains("jobs");
        }
    }

    @Nested
    class C2Close {
        @Test
        void closingTheSendSideLetsReceiversDrainThenEndsIteration() {
            Channel<Integer> ch = Channel.bounded(3);
            ch.sender().send(1);
            ch.sender().send(2);
            ch.sender().close();
            List<Integer> got = new ArrayList<>();
            for (int v : ch.receiver()) got.add(v);
            assertThat(got).containsExactly(1, 2);
            assertThat(ch.receiver().tryReceive().status()).isEqualTo(ReceiveResult.Status.CLOSED);
            assertThatThrownBy(() -> ch.receiver().receive())
                    .isInstanceOf(ChannelClosedException.class).hasMessageContaining("drained");
        }

        @Test
        void aReceiverBlockedOnAnEmptyChannelSeesTheEndWhenTheLastSenderCloses() {
            Channel<String> ch = Channel.rendezvous();
            List<String> got = Scope.run(scope -> {
                Task<List<String>> consumer = scope.fork(() -> ch.receiver().stream().toList());
                ch.sender().send("only");
                awaitWaiting(ch, 0, 1);
                ch.sender().close();
                return consumer.join();
            });
            assertThat(got).containsExactly("only");
        }

        @Test
        void sendingAfterCloseFailsAndSendsNothing() {
            Channel<String> ch = Channel.bounded(2);
            ch.sender().close();
            assertThatThrownBy(() -> ch.sender().send("late"))
                    .isInstanceOf(ChannelClosedException.class).hasMessageContaining("was closed")
                    .hasMessageContaining("not sent");
            assertThatThrownBy(() -> ch.sender().trySend("late")).isInstanceOf(ChannelClosedException.class);
            assertThat(ch.statistics().bufferUsed()).isZero();
        }

        @Test
        void closingTheReceiveSideMakesSendersFailAndCountsWhatItDiscarded() {
            Channel<String> ch = Channel.bounded(1);
            ch.sender().send("buffered");
            Throwable blocked = Scope.run(scope -> {
                Task<Throwable> sender = scope.fork(() -> catchThrowable(() -> ch.sender().send("blocked")));
                awaitWaiting(ch, 1, 0);
                ch.receiver().close();
                return sender.join();
            });
            assertThat(blocked).isInstanceOf(ChannelClosedException.class).hasMessageContaining("no open receivers")
                    .hasMessageContaining("not sent");
            assertThat(ch.sender().trySend("x")).isEqualTo(SendResult.CLOSED);
            assertThatThrownBy(() -> ch.sender().send("x")).isInstanceOf(ChannelClosedException.class);
            ChannelStatistics s = ch.statistics();
            assertThat(s.discarded()).isEqualTo(1);
            assertThat(s.openReceivers()).isZero();
            assertThat(s.bufferUsed()).isZero();
        }

        @Test
        void closingAHandleFailsTheReceiveBlockedOnIt() {
            Channel<String> ch = Channel.rendezvous();
            Throwable t = Scope.run(scope -> {
                Task<Throwable> receiver = scope.fork(() -> catchThrowable(() -> ch.receiver().receive()));
                awaitWaiting(ch, 0, 1);
                ch.receiver().close();
                return receiver.join();
            });
            assertThat(t).isInstanceOf(ChannelClosedException.class).hasMessageContaining("ReceiveChannel")
                    .hasMessageContaining("was closed");
            assertThatThrownBy(() -> ch.receiver().iterator().hasNext()).isInstanceOf(ChannelClosedException.class);
        }

        @Test
        void closeIsIdempotent() {
            Channel<String> ch = Channel.bounded(1);
            SendChannel<String> other = ch.sender().clone();
            ch.sender().close();
            ch.sender().close();
            assertThat(ch.statistics().openSenders()).as("a second close of the same handle counts once").isEqualTo(1);
            other.send("still open");
            assertThat(ch.receiver().receive()).isEqualTo("still open");
        }
    }

    @Nested
    class C4Cancellation {
        @Test
        void aCancelledBlockedSendThrowsAndItsElementIsNeverDelivered() {
            Channel<String> ch = Channel.rendezvous();
            Cancelled c = Scope.run(scope -> {
                Task<Cancelled> sender = scope.fork(() -> catchCancelled(() -> ch.sender().send("lost?")));
                awaitWaiting(ch, 1, 0);
                sender.cancel("test");
                return sender.join();
            });
            assertThat(c.reason().kind()).isEqualTo(CancelReason.Kind.REQUESTED);
            assertThat(ch.statistics().waitingSenders()).as("the cancelled sender left the queue").isZero();
            assertThat(ch.receiver().tryReceive().status()).isEqualTo(ReceiveResult.Status.EMPTY);
        }

        @Test
        void aBlockedSendWhoseScopeIsCancelledAsTheReceiversCloseThrowsCancelled_S3() {
            // Both outcomes say "not sent"; a cancelled scope makes it Cancelled whichever
            // reached the waiting sender first (level-triggered, S3), not ChannelClosedException.
            for (int round = 0; round < 200; round++) {
                Channel<String> ch = Channel.rendezvous();
                Throwable thrown = Scope.run(scope -> {
                    Task<Throwable> sender = scope.fork(() -> catchThrowable(() -> ch.sender().send("x")));
                    awaitWaiting(ch, 1, 0);
                    sender.cancel("stop");
                    ch.receiver().close();
                    return sender.join();
                });
                assertThat(thrown).as("round %d", round).isInstanceOf(Cancelled.class);
            }
        }

        @Test
        void aBlockedReceiveWhoseScopeIsCancelledAsTheSendersCloseThrowsCancelled_S3() {
            for (int round = 0; round < 200; round++) {
                Channel<String> ch = Channel.bounded(1);
                Throwable thrown = Scope.run(scope -> {
                    Task<Throwable> receiver = scope.fork(() -> catchThrowable(() -> ch.receiver().receive()));
                    awaitWaiting(ch, 0, 1);
                    receiver.cancel("stop");
                    ch.sender().close();
                    return receiver.join();
                });
                assertThat(thrown).as("round %d", round).isInstanceOf(Cancelled.class);
            }
        }

        @Test
        void aCancelledBlockedReceiveTakesNothing() {
            Channel<String> ch = Channel.bounded(1);
            Scope.run(scope -> {
                Task<Cancelled> receiver = scope.fork(() -> catchCancelled(() -> ch.receiver().receive()));
                awaitWaiting(ch, 0, 1);
                receiver.cancel("test");
                receiver.join();
                return null;
            });
            assertThat(ch.statistics().waitingReceivers()).isZero();
            ch.sender().send("kept");
            assertThat(ch.receiver().receive()).as("the element went to the buffer, not to the cancelled receiver")
                    .isEqualTo("kept");
        }

        @Test
        void sendAndReceiveAreCancellationPointsEvenWhenTheyDoNotWait() {
            Channel<String> ch = Channel.unbounded();
            ch.sender().send("there");
            Scope.run(scope -> {
                scope.cancel("stop");
                catchCancelled(() -> ch.sender().send("not sent"));
                catchCancelled(() -> ch.receiver().receive());
                return null;
            });
            assertThat(ch.statistics().bufferUsed()).as("neither call changed the channel").isEqualTo(1);
            // The non-blocking forms are not cancellation points (Trio's *_nowait).
            Scope.run(scope -> {
                scope.cancel("stop");
                assertThat(ch.sender().trySend("tried")).isEqualTo(SendResult.SENT);
                assertThat(ch.receiver().tryReceive().value()).isEqualTo("there");
                Thread.interrupted(); // the scope's cancellation interrupted us; the test ends here
                return null;
            });
        }

        @Test
        void aBlockedReceiveObeysTheScopesDeadline() throws Throwable {
            FakeClock clock = new FakeClock();
            Channel<String> ch = Channel.rendezvous();
            FutureTask<MoveOnResult<String>> owner = inThread(() -> Scope.builder().clock(clock)
                    .timeout(Duration.ofSeconds(5)).moveOn(scope -> ch.receiver().receive()));
            awaitWaiting(ch, 0, 1);
            clock.advance(Duration.ofSeconds(5));
            MoveOnResult<String> r = outcome(owner);
            assertThat(r.timedOut()).isTrue();
            assertThat(ch.statistics().waitingReceivers()).isZero();
        }

        @Test
        void aBlockedSendUnderFailAfterThrowsDeadlineExceededAndSendsNothing() throws Throwable {
            FakeClock clock = new FakeClock();
            Channel<String> ch = Channel.bounded(1);
            ch.sender().send("fills");
            FutureTask<Object> owner = inThread(() -> Scope.builder().clock(clock).timeout(Duration.ofMillis(10))
                    .run(scope -> {
                        ch.sender().send("too late");
                        return "sent";
                    }));
            awaitWaiting(ch, 1, 0);
            clock.advance(Duration.ofMillis(10));
            assertThat(catchThrowable(() -> outcome(owner))).isInstanceOf(DeadlineExceeded.class);
            assertThat(ch.receiver().receive()).isEqualTo("fills");
            assertThat(ch.receiver().tryReceive().status()).isEqualTo(ReceiveResult.Status.EMPTY);
        }

        @Test
        void aShieldedSendIsNotWokenByOuterCancellation() {
            Channel<String> ch = Channel.rendezvous();
            CountDownLatch blocked = new CountDownLatch(1);
            String got = Scope.run(scope -> {
                Task<String> t = scope.fork(() -> Scope.shielded(inner -> {
                    blocked.countDown();
                    ch.sender().send("shielded");
                    return "delivered";
                }));
                TestSupport.await(blocked);
                awaitWaiting(ch, 1, 0);
                t.cancel("test");
                assertThat(ch.receiver().receive()).isEqualTo("shielded");
                return t.join();
            });
            assertThat(got).isEqualTo("delivered");
        }
    }
}
