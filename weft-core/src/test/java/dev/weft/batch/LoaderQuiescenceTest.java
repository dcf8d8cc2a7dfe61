package dev.weft.batch;

import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.TestSupport;
import dev.weft.Weft;
import static dev.weft.batch.LoaderTestSupport.NEVER;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.batch.LoaderTestSupport.Call;
import dev.weft.batch.LoaderTestSupport.Calls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * B1: a batch goes out when every live thread of the scope tree is blocked in a Weft wait, when
 * it is full, or when the maximum delay passes. Every scope here runs on a FakeClock that nobody
 * advances unless the test is about the delay, so a batch sent by quiescence cannot have been
 * sent by the timer instead (a missed quiescence hangs, and JUnit's timeout fails the test).
 */
class LoaderQuiescenceTest {

    private final FakeClock clock = new FakeClock();
    private final Calls calls = new Calls();

    // ------------------------------------------------------------------ the classic tree

    // users 1..3; user u has posts 10u+1, 10u+2; post p has comments 10p+1, 10p+2;
    // comment c was written by user (c % 4) + 1.
    private static List<Long> postsOf(long u) {
        return List.of(10 * u + 1, 10 * u + 2);
    }

    private static List<Long> commentsOf(long p) {
        return List.of(10 * p + 1, 10 * p + 2);
    }

    private static long authorOf(long c) {
        return c % 4 + 1;
    }

    private final Loader<Long, String> users = Loader.builder(calls.recording("users", (Long id) -> "user-" + id))
            .name("users").maxDelay(NEVER).build();
    private final Loader<Long, List<Long>> posts = Loader.builder(calls.recording("posts", LoaderQuiescenceTest::postsOf))
            .name("posts").maxDelay(NEVER).build();
    private final Loader<Long, List<Long>> comments = Loader.builder(calls.recording("comments", LoaderQuiescenceTest::commentsOf))
            .name("comments").maxDelay(NEVER).build();
    private final Loader<Long, String> authors = Loader.builder(calls.recording("authors", (Long id) -> "author-" + id))
            .name("authors").maxDelay(NEVER).build();

    private static final List<Long> USER_IDS = List.of(1L, 2L, 3L);

    private void assertOneBatchPerLevel(List<String> rendered) {
        assertThat(calls.loaders()).as("one batch per level, in level order").containsExactly("users", "posts", "comments", "authors");
        assertThat(calls.of("users").get(0).keySet()).containsExactly(1L, 2L, 3L);
        assertThat(calls.of("posts").get(0).keySet()).containsExactly(1L, 2L, 3L);
        assertThat(calls.of("comments").get(0).keySet()).containsExactly(11L, 12L, 21L, 22L, 31L, 32L);
        // 12 comments, 4 distinct authors: each sent once (B2)
        assertThat(calls.of("authors").get(0).keys()).hasSize(4);
        assertThat(calls.of("authors").get(0).keySet()).containsExactly(1L, 2L, 3L, 4L);
        assertThat(rendered).hasSize(12).contains("user-1/post-11/comment-111 by author-4");
        for (Loader<?, ?> l : List.of(users, posts, comments, authors)) {
            assertThat(l.statistics().batches(DispatchReason.QUIESCENCE)).as(l.name()).isEqualTo(1);
            assertThat(l.statistics().batches()).as(l.name()).isEqualTo(1);
        }
    }

    @Test
    void b1_theTreeWithNestedScopesTakesOneBatchPerLevel() {
        List<String> rendered = new CopyOnWriteArrayList<>();
        Scope.builder().clock(clock).name("request").run(request -> {
            for (long u : USER_IDS) {
                request.fork(() -> {
                    String user = users.load(u);
                    List<Long> ps = posts.load(u);
                    return Scope.run(perUser -> {
                        for (long p : ps) {
                            perUser.fork(() -> {
                                List<Long> cs = comments.load(p);
                                return Scope.run(perPost -> {
                                    for (long c : cs) {
                                        perPost.fork(() -> rendered.add(user + "/post-" + p + "/comment-" + c + " by " + authors.load(authorOf(c))));
                                    }
                                    return null;
                                });
                            });
                        }
                        return null;
                    });
                });
            }
            return null;
        });
        assertOneBatchPerLevel(rendered);
    }

    @Test
    void b1_theFlatTreeTakesOneBatchPerLevel() {
        List<String> rendered = new CopyOnWriteArrayList<>();
        Scope.builder().clock(clock).name("request").run(request -> {
            for (long u : USER_IDS) {
                request.fork(() -> {
                    String user = users.load(u);
                    for (long p : posts.load(u)) {
                        request.fork(() -> {
                            for (long c : comments.load(p)) {
                                request.fork(() -> rendered.add(user + "/post-" + p + "/comment-" + c + " by " + authors.load(authorOf(c))));
                            }
                            return null;
                        });
                    }
                    return null;
                });
            }
            return null;
        });
        assertOneBatchPerLevel(rendered);
    }

    @Test
    void b1_theTreeWithJoinsInsteadOfScopesTakesOneBatchPerLevel() {
        // Parents join their children (Task.join is a Weft wait) rather than leaving it to the scope.
        List<String> rendered = new CopyOnWriteArrayList<>();
        Scope.builder().clock(clock).run(request -> {
            List<Task<Object>> top = new ArrayList<>();
            for (long u : USER_IDS) {
                top.add(request.fork(() -> {
                    String user = users.load(u);
                    List<Task<Object>> mine = new ArrayList<>();
                    for (long p : posts.load(u)) {
                        mine.add(request.fork(() -> {
                            List<Task<Boolean>> cs = new ArrayList<>();
                            for (long c : comments.load(p)) {
                                cs.add(request.fork(() -> rendered.add(user + "/post-" + p + "/comment-" + c + " by " + authors.load(authorOf(c)))));
                            }
                            for (Task<Boolean> t : cs) t.join();
                            return null;
                        }));
                    }
                    for (Task<Object> t : mine) t.join();
                    return null;
                }));
            }
            for (Task<Object> t : top) t.join();
            return null;
        });
        assertOneBatchPerLevel(rendered);
    }

    @Test
    void b1_theTreeTakesOneBatchPerLevelRoundAfterRound() {
        // Many trees in a row, each checked exactly. The race fixed with the batch numbers in
        // BatchDomain (a checker acting late on a quiescent verdict and sending the next level's
        // batch early) is rare: BatchBenchmark.weftTree's per-iteration count found it (4 extra
        // batches in about 2,000 warm trees) and finds it again with the fix removed; this test
        // did not, in 3 runs with the fix removed. It guards the common interleavings.
        for (int round = 0; round < 300; round++) {
            calls.calls.clear();
            Scope.builder().clock(clock).run(request -> {
                for (long u : USER_IDS) {
                    request.fork(() -> {
                        users.load(u);
                        for (long p : posts.load(u)) {
                            request.fork(() -> {
                                for (long c : comments.load(p)) request.fork(() -> authors.load(authorOf(c)));
                                return null;
                            });
                        }
                        return null;
                    });
                }
                return null;
            });
            assertThat(calls.loaders()).as("round " + round).containsExactly("users", "posts", "comments", "authors");
        }
    }

    // ------------------------------------------------------------------ what counts as blocked

    @Test
    void b1_concurrentLoadsInOneScopeGoAsOneBatchWhenAllTasksWait() {
        Map<Long, String> got = new java.util.concurrent.ConcurrentHashMap<>();
        Scope.builder().clock(clock).run(scope -> {
            for (long k = 1; k <= 50; k++) {
                long key = k;
                scope.fork(() -> got.put(key, users.load(key)));
            }
            return null;
        });
        assertThat(calls.calls).singleElement().satisfies(c -> assertThat(c.keySet()).hasSize(50));
        assertThat(got).hasSize(50).containsEntry(7L, "user-7");
        assertThat(users.statistics().batchesByReason()).containsEntry(DispatchReason.QUIESCENCE, 1L);
    }

    @Test
    void b1_aTaskAsleepOnTheScopeClockOrJoiningCountsAsBlocked() {
        Scope.builder().clock(clock).run(scope -> {
            Task<Object> sleeper = scope.fork(() -> {
                Weft.sleep(Duration.ofHours(1));
                return null;
            });
            Task<Object> joiner = scope.fork(() -> sleeper.join());
            Task<String> a = scope.fork(() -> users.load(1L));
            Task<String> b = scope.fork(() -> users.load(2L));
            assertThat(a.join()).isEqualTo("user-1"); // sent while the sleeper sleeps: no time passed
            assertThat(b.join()).isEqualTo("user-2");
            assertThat(clock.nanoTime()).isZero();
            joiner.cancel("done");
            sleeper.cancel("done");
            return null;
        });
        // The sleeper and the joiner count as blocked, so the keys go by quiescence with no time
        // passing (the delay is a day on a clock nobody advances), together (this once split
        // into [1] then [2]: see QuiescenceRaceTest).
        assertThat(calls.calls).singleElement().satisfies(c -> assertThat(c.keys()).containsExactlyInAnyOrder(1L, 2L));
        assertThat(users.statistics().batches(DispatchReason.QUIESCENCE)).isEqualTo(1);
    }

    @Test
    void b1_aTaskBusyOutsideWeftHoldsTheBatchUntilTheDelayPasses() throws Throwable {
        Loader<Long, String> delayed = Loader.builder(calls.recording("delayed", (Long id) -> "v" + id))
                .maxDelay(Duration.ofMillis(20)).build();
        CountDownLatch busy = new CountDownLatch(1);
        List<Thread> loaders = new CopyOnWriteArrayList<>();
        FutureTask<String> run = TestSupport.inThread(() -> Scope.builder().clock(clock).run(scope -> {
            scope.fork(() -> {
                busy.await(); // blocking outside Weft: JDBC, a CPU loop, Thread.sleep
                return null;
            });
            Task<String> t = scope.fork(() -> {
                loaders.add(Thread.currentThread());
                return delayed.load(1L);
            });
            return t.join();
        }));
        TestSupport.spinUntil("the loading task to start", () -> !loaders.isEmpty());
        LoaderTestSupport.awaitLoadWaiters(loaders, 1);
        clock.awaitTimers(1); // the delay window
        assertThat(delayed.statistics().batches()).as("the busy task keeps the scope awake").isZero();
        clock.advance(Duration.ofMillis(19));
        assertThat(delayed.statistics().batches()).isZero();
        clock.advance(Duration.ofMillis(1));
        TestSupport.spinUntil("the delayed batch", () -> delayed.statistics().batches() == 1);
        busy.countDown();
        assertThat(TestSupport.outcome(run)).isEqualTo("v1");
        assertThat(delayed.statistics().batchesByReason()).containsEntry(DispatchReason.DELAY, 1L).containsEntry(DispatchReason.QUIESCENCE, 0L);
    }

    @Test
    void b1_aBusyTaskThatEndsReleasesTheBatchWithoutTheDelay() throws Throwable {
        CountDownLatch busy = new CountDownLatch(1);
        List<Thread> loaders = new CopyOnWriteArrayList<>();
        FutureTask<String> run = TestSupport.inThread(() -> Scope.builder().clock(clock).run(scope -> {
            scope.fork(() -> {
                busy.await();
                return null;
            });
            Task<String> t = scope.fork(() -> {
                loaders.add(Thread.currentThread());
                return users.load(5L);
            });
            return t.join();
        }));
        TestSupport.spinUntil("the loading task to start", () -> !loaders.isEmpty());
        LoaderTestSupport.awaitLoadWaiters(loaders, 1);
        assertThat(users.statistics().batches()).isZero();
        busy.countDown(); // the busy task returns: now every live thread waits
        assertThat(TestSupport.outcome(run)).isEqualTo("user-5");
        assertThat(users.statistics().batchesByReason()).containsEntry(DispatchReason.QUIESCENCE, 1L);
        assertThat(clock.nanoTime()).isZero();
    }

    @Test
    void b1_aBodyBusyOutsideWeftHoldsTheBatchToo() throws Throwable {
        CountDownLatch bodyBusy = new CountDownLatch(1);
        List<Thread> loaders = new CopyOnWriteArrayList<>();
        FutureTask<String> run = TestSupport.inThread(() -> Scope.builder().clock(clock).run(scope -> {
            Task<String> t = scope.fork(() -> {
                loaders.add(Thread.currentThread());
                return users.load(9L);
            });
            bodyBusy.await();
            return t.join();
        }));
        TestSupport.spinUntil("the loading task to start", () -> !loaders.isEmpty());
        LoaderTestSupport.awaitLoadWaiters(loaders, 1);
        assertThat(users.statistics().batches()).isZero();
        bodyBusy.countDown(); // the body reaches join: a Weft wait
        assertThat(TestSupport.outcome(run)).isEqualTo("user-9");
        assertThat(users.statistics().batchesByReason()).containsEntry(DispatchReason.QUIESCENCE, 1L);
    }

    @Test
    void b1_loadsFromOutsideAnyScopeGoWhenTheDelayPasses() throws Throwable {
        Loader<Long, String> unscoped = Loader.builder(calls.recording("unscoped", (Long id) -> "v" + id))
                .clock(clock).maxDelay(Duration.ofMillis(10)).build();
        List<Thread> threads = new CopyOnWriteArrayList<>();
        List<FutureTask<String>> runs = new ArrayList<>();
        for (long k = 1; k <= 3; k++) {
            long key = k;
            runs.add(TestSupport.inThread(() -> {
                threads.add(Thread.currentThread());
                return unscoped.load(key);
            }));
        }
        TestSupport.spinUntil("three callers", () -> threads.size() == 3);
        LoaderTestSupport.awaitLoadWaiters(threads, 3);
        clock.awaitTimers(1);
        assertThat(unscoped.statistics().batches()).isZero();
        clock.advance(Duration.ofMillis(10));
        for (int i = 0; i < 3; i++) assertThat(TestSupport.outcome(runs.get(i))).isEqualTo("v" + (i + 1));
        assertThat(calls.calls).singleElement().satisfies(c -> assertThat(c.keySet()).containsExactly(1L, 2L, 3L));
        assertThat(unscoped.statistics().batchesByReason()).containsEntry(DispatchReason.DELAY, 1L);
    }

    @Test
    void b1_aFullBatchGoesAtOnceAndLoadAllIsSplitByMaxBatchSize() {
        Loader<Long, String> small = Loader.builder(calls.recording("small", (Long id) -> "v" + id))
                .maxBatchSize(100).maxDelay(NEVER).build();
        List<Long> keys = LongStream.rangeClosed(1, 250).boxed().toList();
        Map<Long, String> got = Scope.builder().clock(clock).run(scope -> small.loadAll(keys));
        assertThat(got).hasSize(250).containsEntry(250L, "v250");
        assertThat(got.keySet()).containsExactlyElementsOf(keys);
        // Each batch runs on its own virtual thread, so the calls may be recorded in any order.
        assertThat(calls.calls).extracting(c -> c.keys().size()).containsExactlyInAnyOrder(100, 100, 50);
        TreeSet<Object> all = new TreeSet<>();
        calls.calls.forEach(c -> all.addAll(c.keys()));
        assertThat(all).hasSize(250);
        LoaderStatistics s = small.statistics();
        assertThat(s.batchesByReason()).containsEntry(DispatchReason.FULL, 2L).containsEntry(DispatchReason.QUIESCENCE, 1L);
        assertThat(s.batchSizes()).containsEntry(100, 2L).containsEntry(50, 1L);
    }

    @Test
    void b1_concurrentLoadsBeyondTheSizeSplitIntoFullBatchesAndARest() {
        Loader<Long, String> small = Loader.builder(calls.recording("small", (Long id) -> "v" + id))
                .maxBatchSize(4).maxDelay(NEVER).build();
        Scope.builder().clock(clock).run(scope -> {
            for (long k = 1; k <= 10; k++) {
                long key = k;
                scope.fork(() -> small.load(key));
            }
            return null;
        });
        assertThat(calls.calls).allSatisfy(c -> assertThat(c.keys().size()).isLessThanOrEqualTo(4));
        assertThat(calls.calls.stream().mapToInt(c -> c.keys().size()).sum()).isEqualTo(10);
        assertThat(small.statistics().batches(DispatchReason.FULL)).isEqualTo(2);
    }

    @Test
    void b1_loadAllFromTheBodyAloneIsOneBatch() {
        List<Long> keys = LongStream.rangeClosed(1, 100).boxed().toList();
        Map<Long, String> got = Scope.builder().clock(clock).run(scope -> users.loadAll(keys));
        assertThat(got).hasSize(100);
        assertThat(calls.calls).singleElement().satisfies(c -> assertThat(c.keys()).containsExactlyElementsOf(keys));
    }

    @Test
    void b1_separateScopeTreesBatchSeparately() throws Throwable {
        // Two requests share a loader: each tree's quiescence sends its own keys.
        CountDownLatch both = new CountDownLatch(2);
        List<FutureTask<String>> runs = new ArrayList<>();
        for (long k = 1; k <= 2; k++) {
            long key = k;
            runs.add(TestSupport.inThread(() -> Scope.builder().clock(clock).run(scope -> {
                both.countDown();
                both.await();
                return users.load(key);
            })));
        }
        assertThat(TestSupport.outcome(runs.get(0))).isEqualTo("user-1");
        assertThat(TestSupport.outcome(runs.get(1))).isEqualTo("user-2");
        assertThat(calls.calls).hasSize(2).allSatisfy(c -> assertThat(c.keys()).hasSize(1));
    }

    @Test
    void b1_aLoadInsideTheBatchFunctionBatchesInTheBatchsOwnTree() {
        // The batch function runs in a scope of its own; loads it makes batch there (B1 again).
        Loader<Long, String> inner = Loader.builder(calls.recording("inner", (Long id) -> "i" + id)).maxDelay(NEVER).clock(clock).build();
        Loader<Long, String> outer = Loader.builder((List<Long> ids) -> {
            calls.calls.add(new Call("outer", List.copyOf(ids)));
            return Scope.run(s -> {
                Map<Long, Task<String>> ts = new java.util.LinkedHashMap<>();
                for (long id : ids) ts.put(id, s.fork(() -> inner.load(id) + "!"));
                Map<Long, String> out = new java.util.HashMap<>();
                ts.forEach((id, t) -> out.put(id, t.join()));
                return out;
            });
        }).maxDelay(NEVER).build();
        Map<Long, String> got = Scope.builder().clock(clock).run(scope -> outer.loadAll(List.of(1L, 2L, 3L)));
        assertThat(got).containsEntry(2L, "i2!");
        assertThat(calls.loaders()).containsExactly("outer", "inner");
    }
}
