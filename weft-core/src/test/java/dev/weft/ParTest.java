package dev.weft;

import dev.weft.batch.Loader;
import static dev.weft.TestSupport.blockForever;
import static dev.weft.TestSupport.catchGroup;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.weft.batch.LoaderTestSupport.Calls;
import dev.weft.TestSupport.Marker;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The combinators of {@link Par}: each keeps S1-S10 (its own scope nested in the caller's). */
class ParTest {

    /** Records whether each task's code ran to the end or was cancelled, to check S1 and S2. */
    private final ConcurrentLinkedQueue<Thread> threads = new ConcurrentLinkedQueue<>();
    private final List<CancelReason> cancellations = new CopyOnWriteArrayList<>();

    private <T> Callable<T> tracked(Callable<T> work) {
        return () -> {
            threads.add(Thread.currentThread());
            try {
                return work.call();
            } catch (Cancelled c) {
                cancellations.add(c.reason());
                throw c;
            } catch (InterruptedException e) {
                cancellations.add(Weft.cancelReason().orElseThrow());
                throw e;
            }
        };
    }

    private void assertNoThreadAlive() {
        assertThat(threads).allSatisfy(t -> assertThat(t.isAlive()).as("%s alive after the call returned", t).isFalse());
    }

    @Nested
    class All {
        @Test
        void resultsComeInTheOrderGivenWhateverOrderTheyFinish() {
            CountDownLatch firstMayEnd = new CountDownLatch(1);
            List<String> out = Par.all(List.of(
                    tracked(() -> {
                        TestSupport.await(firstMayEnd);
                        return "first";
                    }),
                    tracked(() -> {
                        firstMayEnd.countDown();
                        return null; // nulls are results too
                    }),
                    tracked(() -> "third")));
            assertThat(out).containsExactly("first", null, "third");
            assertNoThreadAlive();
        }

        @Test
        void s2_aFailureCancelsTheOthersAndIsReportedOnceUnderItsTask() {
            Marker boom = new Marker("boom");
            ExceptionGroup g = catchGroup(() -> Par.all(
                    tracked(() -> blockForever()),
                    tracked(() -> {
                        TestSupport.spinUntil("the others to start", () -> threads.size() == 3);
                        throw boom;
                    }),
                    tracked(() -> blockForever())));
            assertThat(g.failures()).singleElement().satisfies(f -> {
                assertThat(f.taskName()).isEqualTo("all-2");
                assertThat(f.error()).isSameAs(boom);
            });
            assertThat(cancellations).hasSize(2).allSatisfy(r -> {
                assertThat(r.kind()).isEqualTo(CancelReason.Kind.TASK_FAILED);
                assertThat(r.source()).contains("all-2");
            });
            assertNoThreadAlive();
        }

        @Test
        void s3_theCallersCancellationReachesEveryTask() {
            Cancelled c = TestSupport.catchCancelled(() -> Scope.run(outer -> {
                outer.fork(() -> {
                    TestSupport.spinUntil("both tasks to start", () -> threads.size() == 2);
                    outer.cancel("stop");
                    return null;
                });
                return Par.all(tracked(() -> blockForever()), tracked(() -> blockForever()));
            }));
            assertThat(c.reason().message()).endsWith("stop");
            assertThat(cancellations).hasSize(2);
            assertNoThreadAlive();
        }

        @Test
        void cancellationRacingCompletionNeverLosesAResult() throws Exception {
            for (int round = 0; round < 300; round++) {
                CyclicBarrier atOnce = new CyclicBarrier(2);
                Object outcome = outcomeOf(() -> Scope.run(outer -> {
                    outer.fork(() -> {
                        atOnce.await();
                        outer.cancel("racing the last task");
                        return null;
                    });
                    return Par.all(() -> "a", () -> {
                        atOnce.await();
                        return "b";
                    });
                }));
                // Either every result or a cancellation: never a partial list, never a failure.
                if (outcome instanceof List<?> l) assertThat(new ArrayList<Object>(l)).as("round %d", round).containsExactly("a", "b");
                else assertThat(outcome).as("round %d", round).isInstanceOf(Cancelled.class);
            }
        }

        @Test
        void s10_theCallersContextIsVisibleInEveryTask() {
            ContextKey<String> user = ContextKey.named("user");
            List<String> seen = Scope.builder().bind(user, "ada").run(s ->
                    Par.all(() -> user.find().orElse("none"), () -> user.find().orElse("none")));
            assertThat(seen).containsExactly("ada", "ada");
        }

        @Test
        void badInputIsRefusedClearly() {
            assertThatThrownBy(() -> Par.all(List.of())).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("all of nothing");
            List<Callable<String>> withNull = new ArrayList<>();
            withNull.add(() -> "x");
            withNull.add(null);
            assertThatThrownBy(() -> Par.all(withNull)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("callable #2 is null");
        }
    }

    @Nested
    class Race {
        @Test
        void theFirstSuccessWinsAndTheOthersAreCancelledWithTheWinnersName() {
            String v = Par.race(tracked(() -> blockForever()), tracked(() -> {
                TestSupport.spinUntil("the others to start", () -> threads.size() == 3);
                return "fast";
            }), tracked(() -> blockForever()));
            assertThat(v).isEqualTo("fast");
            assertThat(cancellations).hasSize(2).allSatisfy(r -> {
                assertThat(r.kind()).isEqualTo(CancelReason.Kind.REQUESTED);
                assertThat(r.message()).endsWith("race won by race-2");
            });
            assertNoThreadAlive();
        }

        @Test
        void aFailureDoesNotStopTheRace() {
            CountDownLatch failed = new CountDownLatch(1);
            String v = Par.race(
                    tracked(() -> {
                        try {
                            throw new IOException("mirror down");
                        } finally {
                            failed.countDown();
                        }
                    }),
                    tracked(() -> {
                        TestSupport.await(failed);
                        return "primary";
                    }));
            assertThat(v).isEqualTo("primary");
        }

        @Test
        void whenAllFailTheGroupHoldsEveryFailureOnce() {
            IOException a = new IOException("a down");
            IllegalStateException b = new IllegalStateException("b broken");
            ExceptionGroup g = catchGroup(() -> Par.race(() -> {
                throw a;
            }, () -> {
                throw b;
            }));
            assertThat(g.failures()).extracting(ExceptionGroup.Failure::taskName).containsExactlyInAnyOrder("race-1", "race-2");
            assertThat(g.exceptions()).containsExactlyInAnyOrder(a, b);
        }

        @Test
        void exactlyOneWinnerWhenSeveralSucceedAtOnce() throws Exception {
            for (int round = 0; round < 300; round++) {
                CyclicBarrier together = new CyclicBarrier(3);
                AtomicInteger finished = new AtomicInteger();
                List<Callable<Integer>> racers = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    int n = i;
                    racers.add(() -> {
                        together.await();
                        finished.incrementAndGet();
                        return n;
                    });
                }
                Integer v = Par.race(racers);
                assertThat(v).as("round %d", round).isBetween(0, 2);
                assertThat(finished.get()).as("round %d: every racer ended before race returned (S1)", round).isEqualTo(3);
            }
        }

        @Test
        void cancellationRacingTheWinnerReturnsItsValueOrCancelledNeverAFailure() throws Exception {
            for (int round = 0; round < 300; round++) {
                CyclicBarrier atOnce = new CyclicBarrier(2);
                Object outcome = outcomeOf(() -> Scope.run(outer -> {
                    outer.fork(() -> {
                        atOnce.await();
                        outer.cancel("racing the winner");
                        return null;
                    });
                    return Par.race(() -> blockForever(), () -> {
                        atOnce.await();
                        return "won";
                    });
                }));
                if (outcome instanceof String s) assertThat(s).isEqualTo("won");
                else assertThat(outcome).as("round %d: %s", round, outcome).isInstanceOf(Cancelled.class);
            }
        }

        @Test
        void s6_anOuterDeadlineEndsARaceNobodyWins() throws Exception {
            FakeClock clock = new FakeClock();
            Thread advancer = Thread.ofPlatform().start(() -> {
                clock.awaitTimers(1);
                TestSupport.spinUntil("both racers to start", () -> threads.size() == 2);
                clock.advance(Duration.ofSeconds(1));
            });
            Throwable t = catchThrowable(() -> Scope.builder().clock(clock).timeout(Duration.ofSeconds(1))
                    .run(s -> Par.race(tracked(() -> blockForever()), tracked(() -> blockForever()))));
            assertThat(t).isInstanceOf(DeadlineExceeded.class);
            assertThat(cancellations).hasSize(2).allSatisfy(r -> assertThat(r.kind()).isEqualTo(CancelReason.Kind.DEADLINE));
            assertNoThreadAlive();
            advancer.join();
        }
    }

    @Nested
    class MapAndForEach {
        @Test
        void resultsInOrderAndNeverMoreThanTheLimitAtOnce() {
            AtomicInteger now = new AtomicInteger();
            AtomicInteger most = new AtomicInteger();
            List<Integer> items = IntStream.range(0, 50).boxed().toList();
            List<Integer> out = Par.map(items, 4, i -> {
                int n = now.incrementAndGet();
                most.accumulateAndGet(n, Math::max);
                Weft.sleep(Duration.ofMillis(1));
                now.decrementAndGet();
                return i * i;
            });
            assertThat(out).containsExactlyElementsOf(items.stream().map(i -> i * i).toList());
            assertThat(most.get()).isBetween(1, 4);
        }

        @Test
        void s2_theFirstFailureCancelsTheRestAndIsNamedByItsItem() {
            Marker boom = new Marker("item 3");
            List<Integer> started = new CopyOnWriteArrayList<>();
            ExceptionGroup g = catchGroup(() -> Par.map(List.of(0, 1, 2, 3, 4, 5, 6, 7), 4, i -> {
                started.add(i);
                if (i == 3) throw boom;
                return blockForever();
            }));
            assertThat(g.failures()).singleElement().satisfies(f -> {
                assertThat(f.taskName()).isEqualTo("map[3]");
                assertThat(f.error()).isSameAs(boom);
            });
            assertThat(started).as("nothing after the failure was started").doesNotContain(4, 5, 6, 7);
        }

        @Test
        void b1_loadsInFlightAreBatchedTogether() {
            Calls calls = new Calls();
            Loader<Integer, String> users = Loader.builder(calls.recording("users", (Integer id) -> "user-" + id))
                    .maxDelay(dev.weft.batch.LoaderTestSupport.NEVER).build();
            List<String> out = Scope.builder().clock(new FakeClock())
                    .run(s -> Par.map(IntStream.range(0, 8).boxed().toList(), 4, users::load));
            assertThat(out).containsExactly("user-0", "user-1", "user-2", "user-3", "user-4", "user-5", "user-6", "user-7");
            // the caller waiting for a free slot is blocked in a Weft wait: each wave of 4 is one batch
            assertThat(calls.calls).hasSize(2);
            assertThat(calls.calls.get(0).keySet()).containsExactly(0, 1, 2, 3);
            assertThat(calls.calls.get(1).keySet()).containsExactly(4, 5, 6, 7);
        }

        @Test
        void forEachRunsEveryItemAndNamesAFailureByItsItem() {
            List<Integer> seen = Collections.synchronizedList(new ArrayList<>());
            Par.forEach(List.of(1, 2, 3), 2, seen::add);
            assertThat(seen).containsExactlyInAnyOrder(1, 2, 3);
            ExceptionGroup g = catchGroup(() -> Par.forEach(List.of("a", "b"), 1, s -> {
                if (s.equals("b")) throw new IOException("no b");
            }));
            assertThat(g.failures()).singleElement().satisfies(f -> assertThat(f.taskName()).isEqualTo("forEach[1]"));
        }

        @Test
        void emptyCollectionsAndBadLimits() {
            assertThat(Par.map(List.of(), 3, x -> x)).isEmpty();
            assertThatThrownBy(() -> Par.map(List.of(1), 0, x -> x)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("parallelism is 0");
            assertThatThrownBy(() -> Par.forEach(null, 1, x -> {})).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("items");
        }
    }

    private static Object outcomeOf(Callable<?> c) {
        try {
            return c.call();
        } catch (Throwable t) {
            return t;
        }
    }
}
