package dev.weft.batch;

import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.ContextKey;
import dev.weft.DeadlineExceeded;
import dev.weft.ExceptionGroup;
import dev.weft.FakeClock;
import dev.weft.MoveOnResult;
import dev.weft.Scope;
import dev.weft.ScopeBody;
import dev.weft.ScopeObserver;
import dev.weft.Task;
import dev.weft.TaskCancelledException;
import dev.weft.TestSupport;
import dev.weft.Weft;
import static dev.weft.batch.LoaderTestSupport.NEVER;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.weft.batch.LoaderTestSupport.Calls;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.FutureTask;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** B2 (de-duplication, caches), B3 (per-key outcomes, failed batches), B4 (cancelled waiters), B5 (statistics, listener). */
class LoaderContractTest {

    private final FakeClock clock = new FakeClock();
    private final Calls calls = new Calls();
    private final Loader<Long, String> users = Loader.builder(calls.recording("users", (Long id) -> "user-" + id))
            .name("users").maxDelay(NEVER).build();

    private <T> T inScope(ScopeBody<T> body) {
        return Scope.builder().clock(clock).run(body);
    }

    // ------------------------------------------------------------------ B2

    /** A shared cache that is just {@code store}, so a test can look into it. */
    private static SharedCache<String> backedBy(Map<Object, String> store) {
        return new SharedCache<>() {
            public String getIfPresent(Object key) { return store.get(key); }
            public void put(Object key, String value) { store.put(key, value); }
            public void invalidate(Object key) { store.remove(key); }
            public void invalidateAll() { store.clear(); }
        };
    }

    // ------------------------------------------------------------------ S1 for batch threads

    @Test
    void s1_noBatchThreadOfATreeIsAliveWhenItsScopeReturns() {
        // The threads a loader starts on behalf of a tree are the tree's too: when its outermost
        // scope returns, they have ended (a thread-leak check sees none). The listener keeps each
        // batch thread busy a little after its keys are out, which is when the tree's tasks, and
        // before the fix its scope, could already be done (38 of 50 rounds left one alive).
        Queue<Thread> batchThreads = new ConcurrentLinkedQueue<>();
        Loader<Long, String> slowToFinish = Loader.builder(calls.recording("slow", (Long id) -> "v" + id))
                .maxDelay(NEVER).listener(new BatchListener() {
                    @Override
                    public void dispatched(Batch batch) {
                        batchThreads.add(Thread.currentThread());
                    }

                    @Override
                    public void completed(Batch batch, Duration elapsed, Throwable failure) {
                        for (int i = 0; i < 2_000; i++) Thread.yield(); // still busy after the keys are out
                    }
                }).build();
        Queue<String> cancelled = new ConcurrentLinkedQueue<>();
        ScopeObserver.Registration watching = ScopeObserver.register(new ScopeObserver() {
            @Override
            public void scopeCancelled(Scope scope, CancelReason reason) {
                if (scope.name().contains("-batch-")) cancelled.add(scope.name() + ": " + reason);
            }
        });
        int alive = 0;
        for (int round = 0; round < 50; round++) {
            inScope(scope -> {
                for (long k = 0; k < 4; k++) {
                    long key = k;
                    scope.fork(() -> slowToFinish.load(key));
                }
                return null;
            });
            assertThat(batchThreads).as("round %d sent its batch", round).isNotEmpty();
            for (Thread t : batchThreads) if (t.isAlive()) alive++;
            batchThreads.clear();
        }
        watching.close();
        assertThat(alive).as("batch threads alive after their tree's scope returned, in 50 rounds").isZero();
        // A batch that gave every key its outcome is waited for, not cancelled: a request that
        // went well records no cancellation (in Flight Recorder or an observer).
        assertThat(cancelled).isEmpty();
    }

    @Test
    void s1_aBatchStillRunningWhenItsTreeClosesIsCancelledAndWaitedFor() throws Exception {
        // The only caller gave up (its scope was cancelled): the batch has no caller left. When
        // the tree closes, the batch is cancelled, and run returns once its thread has ended,
        // instead of leaving it running behind the scope.
        CountDownLatch entered = new CountDownLatch(1);
        AtomicReference<Thread> batchThread = new AtomicReference<>();
        AtomicReference<Throwable> batchSaw = new AtomicReference<>();
        Loader<Long, String> hung = Loader.<Long, String>builder(keys -> {
            batchThread.set(Thread.currentThread());
            entered.countDown();
            try {
                Weft.sleep(Duration.ofHours(1)); // a call that would hang, but is cancellable
            } catch (Cancelled c) {
                batchSaw.set(c);
                throw c;
            }
            return Map.of();
        }).name("hung").maxDelay(Duration.ZERO).build(); // sent at once: the body waits outside Weft

        Scope.builder().moveOn(scope -> {
            scope.fork(() -> hung.load(1L));
            entered.await();
            scope.cancel("the caller gave up");
            return null;
        });

        assertThat(batchThread.get().isAlive()).as("the batch thread after run returned").isFalse();
        assertThat(batchSaw.get()).isInstanceOf(Cancelled.class);
        assertThat(((Cancelled) batchSaw.get()).reason().toString()).contains("scope tree it was sent for closed");
    }

    @Test
    void b2_aKeyAskedByManyTasksIsSentOnce() {
        inScope(scope -> {
            for (int i = 0; i < 20; i++) scope.fork(() -> assertThat(users.load(7L)).isEqualTo("user-7"));
            for (int i = 0; i < 20; i++) scope.fork(() -> users.load(8L));
            return null;
        });
        // B2: each key is sent once, however many tasks ask for it; B1: in one batch, once all 40
        // tasks wait. (This once split into [7] then [8], about 1 run in 45 under load: a
        // quiescence walk missed tasks forked while it ran; see QuiescenceRaceTest.)
        assertThat(calls.calls).as(users.statistics().toString()).singleElement()
                .satisfies(c -> assertThat(c.keys()).containsExactlyInAnyOrder(7L, 8L));
        assertThat(users.statistics().loads()).isEqualTo(40);
        assertThat(users.statistics().cacheHits()).isEqualTo(38);
    }

    @Test
    void b2_loadAllWithRepeatedKeysSendsEachOnce() {
        Map<Long, String> got = inScope(scope -> users.loadAll(List.of(3L, 1L, 3L, 2L, 1L)));
        assertThat(got.keySet()).containsExactly(3L, 1L, 2L);
        assertThat(calls.calls).singleElement().satisfies(c -> assertThat(c.keys()).containsExactly(3L, 1L, 2L));
    }

    @Test
    void b2_theScopeCacheAnswersLaterLoadsInTheSameTreeOnly() {
        inScope(scope -> {
            assertThat(users.load(1L)).isEqualTo("user-1");
            assertThat(scope.fork(() -> Scope.run(nested -> users.load(1L))).join()).isEqualTo("user-1");
            return null;
        });
        assertThat(calls.calls).hasSize(1);
        inScope(scope -> users.load(1L)); // a new tree (a new request) asks again
        assertThat(calls.calls).hasSize(2);
    }

    @Test
    void b2_withTheScopeCacheOffDeduplicationStillHoldsButLaterLoadsAskAgain() {
        Loader<Long, String> uncached = Loader.builder(calls.recording("uncached", (Long id) -> "v" + id))
                .cachePerScope(false).maxDelay(NEVER).build();
        inScope(scope -> {
            for (int i = 0; i < 10; i++) scope.fork(() -> uncached.load(1L));
            return null;
        });
        assertThat(calls.calls).singleElement().satisfies(c -> assertThat(c.keys()).containsExactly(1L));
        inScope(scope -> {
            uncached.load(1L);
            uncached.load(1L);
            return null;
        });
        assertThat(calls.calls).hasSize(3);
    }

    @Test
    void b2_theSharedCacheIsAskedFirstAndFilledByBatches() {
        Map<Object, String> store = new ConcurrentHashMap<>();
        SharedCache<String> shared = backedBy(store);
        Loader<Long, String> l = Loader.builder(calls.recording("l", (Long id) -> "v" + id))
                .sharedCache(shared).maxDelay(NEVER).build();
        store.put(1L, "from-cache");
        Map<Long, String> first = inScope(scope -> l.loadAll(List.of(1L, 2L)));
        assertThat(first).containsEntry(1L, "from-cache").containsEntry(2L, "v2");
        assertThat(calls.calls).singleElement().satisfies(c -> assertThat(c.keys()).containsExactly(2L));
        assertThat(store).containsEntry(2L, "v2");
        String again = inScope(scope -> l.load(2L)); // another tree: from the shared cache
        assertThat(again).isEqualTo("v2");
        assertThat(calls.calls).hasSize(1);
        inScope(scope -> {
            l.clear(2L);
            return null;
        });
        assertThat(store).doesNotContainKey(2L);
        l.prime(5L, "primed"); // outside any scope: the shared cache only
        assertThat(store).containsEntry(5L, "primed");
        l.clearAll();
        assertThat(store).isEmpty();
    }

    @Test
    void b2_theSharedCacheHoldsABatchsValueBeforeItsWaiterWakes() {
        // The waiter looks into the shared cache the moment load returns: the value must be there
        // already (it was put after the slot completed, so a load made right after could miss it).
        Map<Object, String> store = new ConcurrentHashMap<>();
        SharedCache<String> shared = backedBy(store);
        Loader<Long, String> l = Loader.builder(calls.recording("l", (Long id) -> "v" + id)).sharedCache(shared).maxDelay(NEVER).build();
        for (long k = 1; k <= 200; k++) {
            long key = k;
            String seenAtReturn = inScope(scope -> {
                l.load(key);
                return store.get(key);
            });
            assertThat(seenAtReturn).as("key %d", key).isEqualTo("v" + key);
        }
    }

    @Test
    void b2_primeFillsAnEmptyKeyAndClearDropsIt() {
        inScope(scope -> {
            users.prime(1L, "primed");
            assertThat(users.load(1L)).isEqualTo("primed");
            users.prime(1L, "ignored: the key has a value");
            assertThat(users.load(1L)).isEqualTo("primed");
            users.clear(1L);
            assertThat(users.load(1L)).isEqualTo("user-1");
            users.clearAll();
            assertThat(users.load(1L)).isEqualTo("user-1");
            return null;
        });
        assertThat(calls.calls).hasSize(2);
    }

    @Test
    void b2_theKeyNormalizerMakesEqualFormsOneKey() {
        Loader<String, String> byName = Loader.builder((List<String> names) -> {
            calls.calls.add(new LoaderTestSupport.Call("byName", List.copyOf(names)));
            Map<String, String> m = new HashMap<>();
            for (String n : names) m.put(n.toUpperCase(), "id-of-" + n.toLowerCase()); // keyed by another form
            return m;
        }).keyNormalizer(String::toLowerCase).maxDelay(NEVER).build();
        Map<String, String> got = inScope(scope -> {
            Task<String> a = scope.fork(() -> byName.load("Ada"));
            Task<String> b = scope.fork(() -> byName.load("ADA"));
            Task<String> c = scope.fork(() -> byName.load("bob"));
            return Map.of("a", a.join(), "b", b.join(), "c", c.join());
        });
        assertThat(got).containsEntry("a", "id-of-ada").containsEntry("b", "id-of-ada").containsEntry("c", "id-of-bob");
        assertThat(calls.calls).singleElement().satisfies(c -> assertThat(c.keys()).hasSize(2));
    }

    // ------------------------------------------------------------------ B3

    @Test
    void b3_aFailedBatchFailsEachOfItsKeysWithTheCause() {
        IOException down = new IOException("database down");
        Loader<Long, String> broken = Loader.<Long, String>builder(keys -> { throw down; }).name("broken").maxDelay(NEVER).build();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        inScope(scope -> {
            for (long k = 1; k <= 3; k++) {
                long key = k;
                scope.fork(() -> errors.add(catchThrowable(() -> broken.load(key))));
            }
            return null;
        });
        assertThat(errors).hasSize(3).allSatisfy(e -> {
            assertThat(e).isInstanceOf(LoadFailedException.class).hasCause(down).hasMessageContaining("broken").hasMessageContaining("database down");
            assertThat(((LoadFailedException) e).loader()).isEqualTo("broken");
        });
        assertThat(errors).extracting(e -> ((LoadFailedException) e).key()).containsExactlyInAnyOrder(1L, 2L, 3L);
        assertThat(broken.statistics().failedBatches()).isEqualTo(1);
        // failures are not cached: the next load asks again
        Throwable again = inScope(scope -> catchThrowable(() -> broken.load(1L)));
        assertThat(again).isInstanceOf(LoadFailedException.class);
        assertThat(broken.statistics().batches()).isEqualTo(2);
    }

    @Test
    void b3_eachKeyGetsItsOwnValueOrItsOwnError() {
        Loader<Long, String> prices = Loader.<Long, String>builderPerKey((keys, results) -> {
            for (long k : keys) {
                if (k % 2 == 0) results.succeed(k, "price-" + k);
                else results.fail(k, new IllegalStateException("no price for " + k));
            }
        }).name("prices").maxDelay(NEVER).build();
        Map<Long, Object> got = new ConcurrentHashMap<>();
        inScope(scope -> {
            for (long k = 1; k <= 4; k++) {
                long key = k;
                scope.fork(() -> {
                    try {
                        got.put(key, prices.load(key));
                    } catch (LoadFailedException e) {
                        got.put(key, e.getCause().getMessage());
                    }
                    return null;
                });
            }
            return null;
        });
        assertThat(got).containsEntry(2L, "price-2").containsEntry(4L, "price-4")
                .containsEntry(1L, "no price for 1").containsEntry(3L, "no price for 3");
        assertThat(prices.statistics().batches()).isEqualTo(1);
        assertThat(prices.statistics().failedBatches()).isZero();
    }

    @Test
    void b3_aKeyTheFunctionLeftOutFailsWithAMessageNamingKeyAndLoader() {
        Loader<Long, String> partial = Loader.<Long, String>builder(keys -> Map.of(1L, "one")).name("partial").maxDelay(NEVER).build();
        Map<Long, String> ok = new ConcurrentHashMap<>();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        inScope(scope -> {
            scope.fork(() -> ok.put(1L, partial.load(1L)));
            scope.fork(() -> errors.add(catchThrowable(() -> partial.load(2L))));
            return null;
        });
        assertThat(ok).containsEntry(1L, "one");
        assertThat(errors).singleElement().satisfies(e -> assertThat(e).isInstanceOf(LoadFailedException.class)
                .hasMessageContaining("loader 'partial'").hasMessageContaining("no value for key 2"));
    }

    @Test
    void b3_loadAllThrowsTheFirstFailedKeyAfterAllAreDone() {
        Loader<Long, String> perKey = Loader.<Long, String>builderPerKey((keys, results) -> {
            for (long k : keys) {
                if (k == 2) results.fail(k, new IllegalArgumentException("bad 2"));
                else results.succeed(k, "v" + k);
            }
        }).maxDelay(NEVER).build();
        Throwable t = catchThrowable(() -> inScope(scope -> perKey.loadAll(List.of(1L, 2L, 3L))));
        assertThat(t).isInstanceOf(ExceptionGroup.class);
        assertThat(((ExceptionGroup) t).single()).isInstanceOf(LoadFailedException.class).hasMessageContaining("bad 2");
    }

    @Test
    void b3_aSharedBatchRunsOnAVirtualThreadOfItsOwnAndMayBlock() throws Throwable {
        List<Thread> ran = new CopyOnWriteArrayList<>();
        CountDownLatch inBatch = new CountDownLatch(1);
        CountDownLatch reply = new CountDownLatch(1);
        Loader<Long, String> blocking = Loader.<Long, String>builder(keys -> {
            ran.add(Thread.currentThread());
            inBatch.countDown();
            reply.await(); // blocking I/O stands here (JDBC, Redis): the batch blocks until the "server" answers
            Map<Long, String> m = new HashMap<>();
            for (long k : keys) m.put(k, "ok" + k);
            return m;
        }).name("blocking").maxDelay(NEVER).build();
        // Two callers: the batch is theirs, not either's, so it runs on a thread of its own.
        FutureTask<List<String>> caller = TestSupport.inThread(() -> inScope(scope -> {
            Task<String> a = scope.fork(() -> blocking.load(1L));
            Task<String> b = scope.fork(() -> blocking.load(2L));
            return List.of(a.join(), b.join());
        }));
        TestSupport.await(inBatch);
        assertThat(caller.isDone()).as("the callers wait while the batch blocks").isFalse();
        reply.countDown();
        assertThat(TestSupport.outcome(caller)).containsExactly("ok1", "ok2");
        assertThat(ran).singleElement().satisfies(t -> {
            assertThat(t.isVirtual()).isTrue();
            assertThat(t.getName()).isEqualTo("blocking-batch-1");
        });
    }

    @Test
    void b3_aLoneBatchRunsOnItsOnlyCallerOutsideItsScope() throws Throwable {
        // One caller, nobody else in the tree: the caller would only idle while a thread of the
        // batch's own ran it, so it runs the batch itself (ADR 0015), in a root scope of its own
        // (the caller's context and cancellation do not reach it), and may block there.
        ContextKey<String> who = ContextKey.named("who");
        List<Thread> ran = new CopyOnWriteArrayList<>();
        List<Boolean> sawCallersContext = new CopyOnWriteArrayList<>();
        List<Boolean> inBatchScope = new CopyOnWriteArrayList<>();
        CountDownLatch inBatch = new CountDownLatch(1);
        CountDownLatch reply = new CountDownLatch(1);
        Loader<Long, String> blocking = Loader.<Long, String>builder(keys -> {
            ran.add(Thread.currentThread());
            sawCallersContext.add(who.find().isPresent());
            inBatchScope.add(Scope.current().orElseThrow().name().startsWith("lone-batch-"));
            inBatch.countDown();
            reply.await();
            return Map.of(keys.get(0), "ok");
        }).name("lone").maxDelay(NEVER).build();
        List<Thread> callers = new CopyOnWriteArrayList<>();
        FutureTask<String> caller = TestSupport.inThread(() -> Scope.builder().bind(who, "request-7").run(scope -> {
            callers.add(Thread.currentThread());
            return blocking.loadAll(List.of(1L)).get(1L);
        }));
        TestSupport.await(inBatch);
        assertThat(caller.isDone()).isFalse();
        reply.countDown();
        assertThat(TestSupport.outcome(caller)).isEqualTo("ok");
        assertThat(ran).containsExactlyElementsOf(callers);
        assertThat(sawCallersContext).containsExactly(false);
        assertThat(inBatchScope).containsExactly(true);
        assertThat(blocking.statistics().batchesByReason()).containsEntry(DispatchReason.QUIESCENCE, 1L);
    }

    @Test
    void b3_aBatchPastItsTimeoutFailsItsKeysWithDeadlineExceeded() throws Throwable {
        CountDownLatch never = new CountDownLatch(1);
        CountDownLatch inBatch = new CountDownLatch(1);
        Loader<Long, String> hung = Loader.<Long, String>builder(keys -> {
            inBatch.countDown();
            never.await();
            return Map.of();
        }).name("hung").batchTimeout(Duration.ofSeconds(2)).maxDelay(NEVER).build();
        FutureTask<Throwable> run = TestSupport.inThread(() -> inScope(scope -> catchThrowable(() -> hung.load(1L))));
        TestSupport.await(inBatch); // the batch's scope, with its deadline, is open
        assertThat(clock.pendingDelays()).containsExactly(Duration.ofSeconds(2));
        clock.advance(Duration.ofSeconds(2));
        Throwable t = TestSupport.outcome(run);
        assertThat(t).isInstanceOf(LoadFailedException.class).hasCauseInstanceOf(DeadlineExceeded.class);
    }

    // ------------------------------------------------------------------ B4

    @Test
    void b4_aWaiterCancelledWhileWaitingDoesNotCancelTheBatchForTheOthers() throws Throwable {
        CountDownLatch inBatch = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        List<Boolean> batchInterrupted = new CopyOnWriteArrayList<>();
        Loader<Long, String> slow = Loader.<Long, String>builder(keys -> {
            inBatch.countDown();
            release.await();
            batchInterrupted.add(Thread.currentThread().isInterrupted());
            Map<Long, String> m = new HashMap<>();
            for (long k : keys) m.put(k, "v" + k);
            return m;
        }).name("slow").maxDelay(NEVER).build();
        java.util.concurrent.atomic.AtomicReference<Task<String>> victim = new java.util.concurrent.atomic.AtomicReference<>();
        CountDownLatch victimOut = new CountDownLatch(1);
        FutureTask<List<Object>> run = TestSupport.inThread(() -> inScope(scope -> {
            Task<String> cancelled = scope.fork(() -> {
                try {
                    return slow.load(1L);
                } finally {
                    victimOut.countDown();
                }
            });
            victim.set(cancelled);
            Task<String> other = scope.fork(() -> slow.load(1L)); // the same key: shares the slot with the cancelled waiter
            Task<String> third = scope.fork(() -> slow.load(2L));
            Throwable c = catchThrowable(cancelled::join);
            return List.of(c, other.join(), third.join());
        }));
        TestSupport.await(inBatch); // the batch is running; everybody waits on it
        victim.get().cancel("the user went away");
        TestSupport.await(victimOut); // the cancelled waiter left while the batch still runs
        release.countDown();
        List<Object> out = TestSupport.outcome(run);
        assertThat(out.get(0)).isInstanceOf(TaskCancelledException.class);
        assertThat(out.subList(1, 3)).containsExactly("v1", "v2");
        assertThat(batchInterrupted).containsExactly(false);
        assertThat(slow.statistics().batches()).isEqualTo(1);
    }

    @Test
    void b4s1_aBatchWhoseCallersAllLeftEndsBeforeTheirTreesScopeReturns() throws Throwable {
        // Every caller of the batch gave up: nobody in the tree waits for it, so the tree's close
        // cancels it (B4 protects callers still waiting, and none is) and waits for its thread
        // (S1). A batch that ignores the cancellation is waited for all the same.
        CountDownLatch inBatch = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        AtomicReference<Boolean> batchInterrupted = new AtomicReference<>();
        CountDownLatch sawInterrupt = new CountDownLatch(1);
        Loader<Long, String> slow = Loader.<Long, String>builder(keys -> {
            inBatch.countDown();
            boolean interrupted = false;
            while (true) {
                try {
                    release.await();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // this batch function carries on regardless
                    sawInterrupt.countDown();
                }
            }
            batchInterrupted.set(interrupted);
            finished.countDown();
            return Map.of(1L, "v1", 2L, "v2");
        }).maxDelay(NEVER).build();
        AtomicReference<Scope> request = new AtomicReference<>();
        AtomicReference<Long> unfinishedWhenRunReturned = new AtomicReference<>();
        CountDownLatch callerLeft = new CountDownLatch(1);
        FutureTask<Throwable> run = TestSupport.inThread(() -> {
            Throwable t = catchThrowable(() -> inScope(scope -> {
                request.set(scope);
                // Two callers: the batch is on a thread of its own (a lone one runs on its caller).
                Task<String> other = scope.fork(() -> slow.load(2L));
                try {
                    return slow.load(1L) + other.join();
                } finally {
                    callerLeft.countDown();
                }
            }));
            unfinishedWhenRunReturned.set(finished.getCount());
            return t;
        });
        TestSupport.await(inBatch);
        request.get().cancel("give up");
        TestSupport.await(callerLeft);
        TestSupport.await(sawInterrupt); // the close cancelled the batch, which goes on all the same
        release.countDown();
        assertThat(TestSupport.outcome(run)).isInstanceOf(Cancelled.class);
        assertThat(unfinishedWhenRunReturned.get()).as("batches not finished when run returned").isZero();
        assertThat(batchInterrupted.get()).as("the batch was cancelled by the close").isTrue();
    }

    @Test
    void b4_aLoneBatchIsCutShortWithItsOnlyCaller() throws Throwable {
        // The caller runs its lone batch itself (ADR 0015); cancelled, it has nobody to load for:
        // the batch is cancelled too, and the caller leaves as soon as the function returns.
        CountDownLatch inBatch = new CountDownLatch(1);
        CountDownLatch never = new CountDownLatch(1);
        List<Boolean> batchInterrupted = new CopyOnWriteArrayList<>();
        Loader<Long, String> slow = Loader.<Long, String>builder(keys -> {
            inBatch.countDown();
            try {
                never.await();
            } catch (InterruptedException e) {
                batchInterrupted.add(true);
                throw e;
            }
            return Map.of();
        }).name("slow").maxDelay(NEVER).build();
        AtomicReference<Scope> request = new AtomicReference<>();
        FutureTask<Throwable> run = TestSupport.inThread(() -> catchThrowable(() -> inScope(scope -> {
            request.set(scope);
            return slow.load(1L);
        })));
        TestSupport.await(inBatch);
        request.get().cancel("the user went away");
        assertThat(TestSupport.outcome(run)).as("the caller sees its cancellation, not the batch's failure")
                .isInstanceOf(Cancelled.class).hasMessageContaining("the user went away");
        assertThat(batchInterrupted).containsExactly(true);
        assertThat(slow.statistics().failedBatches()).isEqualTo(1);
    }

    @Test
    void b4_aKeyJoinedWhileALoneBatchIsCutShortIsSentAgainForItsNewCaller() throws Throwable {
        // Task A's load starts a lone batch and runs it; task B then loads the same key and joins
        // it; then A alone is cancelled. The batch is cut short, but B is not failed by A's
        // cancellation (B4): the key goes out again, in a batch of its own, and B gets its value.
        CountDownLatch inFirstBatch = new CountDownLatch(1);
        dev.weft.sync.OnceFlag firstBatchRuns = new dev.weft.sync.OnceFlag();
        CountDownLatch never = new CountDownLatch(1);
        List<Thread> ranOn = new CopyOnWriteArrayList<>();
        AtomicReference<Thread> aThread = new AtomicReference<>();
        List<List<Long>> batches = new CopyOnWriteArrayList<>();
        Loader<Long, String> slow = Loader.<Long, String>builder(keys -> {
            batches.add(List.copyOf(keys));
            ranOn.add(Thread.currentThread());
            if (batches.size() == 1) {
                inFirstBatch.countDown();
                firstBatchRuns.set();
                never.await(); // interrupted when A is cancelled
            }
            return Map.of(keys.get(0), "v" + keys.get(0));
        }).name("slow").maxDelay(NEVER).build();
        AtomicReference<Scope> aScope = new AtomicReference<>();
        CountDownLatch bForked = new CountDownLatch(1);
        AtomicReference<Task<String>> bTask = new AtomicReference<>();
        FutureTask<List<Object>> run = TestSupport.inThread(() -> inScope(scope -> {
            // A's own scope, so that cancelling it fails nothing else in the tree (moveOn: A just stops).
            Thread owner = Thread.currentThread();
            Task<MoveOnResult<String>> a = scope.fork(() -> Scope.builder().moveOn(inner -> {
                aScope.set(inner);
                aThread.set(Thread.currentThread());
                // Load once the owner is parked in its Weft wait below: A's own wait then finds
                // the tree quiescent, sends the batch, and A runs it itself.
                TestSupport.spinUntil("the owner parked", () -> owner.getState() == Thread.State.WAITING);
                return slow.load(1L);
            }));
            firstBatchRuns.await(); // a Weft wait: the tree is quiescent, so A's batch goes out (and A runs it)
            bTask.set(scope.fork(() -> slow.load(1L)));
            bForked.countDown();
            return List.of(a.join().hasValue(), bTask.get().join());
        }));
        TestSupport.await(bForked);
        // B has joined the key in flight once the loader counts the hit.
        TestSupport.spinUntil("B joined the key in flight", () -> slow.statistics().cacheHits() == 1);
        aScope.get().cancel("A gave up");
        List<Object> out = TestSupport.outcome(run);
        assertThat(out).containsExactly(false, "v1"); // A moved on without a value; B got its value
        assertThat(batches).containsExactly(List.of(1L), List.of(1L));
        assertThat(ranOn.get(0)).as("A ran its lone batch").isSameAs(aThread.get());
    }

    // ------------------------------------------------------------------ B5

    @Test
    void b5_statisticsCountBatchesKeysSizesAndReasons() {
        Loader<Long, String> l = Loader.builder(calls.recording("l", (Long id) -> "v" + id)).name("stats").maxBatchSize(3).maxDelay(NEVER).build();
        inScope(scope -> l.loadAll(List.of(1L, 2L, 3L, 4L)));
        inScope(scope -> l.loadAll(List.of(1L, 2L)));
        LoaderStatistics s = l.statistics();
        assertThat(s.loader()).isEqualTo("stats");
        assertThat(s.loads()).isEqualTo(6);
        assertThat(s.batches()).isEqualTo(3);
        assertThat(s.keys()).isEqualTo(6);
        assertThat(s.batchSizes()).containsExactly(Map.entry(1, 1L), Map.entry(2, 1L), Map.entry(3, 1L));
        assertThat(s.batchesByReason()).containsOnlyKeys(DispatchReason.values())
                .containsEntry(DispatchReason.FULL, 1L).containsEntry(DispatchReason.QUIESCENCE, 2L).containsEntry(DispatchReason.DELAY, 0L);
        assertThat(s.meanBatchSize()).isEqualTo(2.0);
        assertThatThrownBy(() -> s.batchSizes().put(9, 9L)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void b5_theListenerSeesEachBatchItsKeysReasonTimeAndFailure() {
        List<String> events = new CopyOnWriteArrayList<>();
        BatchListener listener = new BatchListener() {
            @Override
            public void dispatched(Batch b) {
                events.add("dispatched " + b.loader() + " #" + b.number() + " " + b.keys() + " " + b.reason() + " size " + b.size());
            }

            @Override
            public void completed(Batch b, Duration elapsed, Throwable failure) {
                events.add("completed #" + b.number() + " in " + elapsed.toMillis() + "ms" + (failure == null ? "" : " failed: " + failure.getMessage()));
            }
        };
        Loader<Long, String> l = Loader.<Long, String>builder(keys -> {
            if (keys.contains(99L)) throw new IllegalStateException("boom");
            clock.advance(Duration.ofMillis(7)); // the batch takes 7 ms of scope time
            return Map.of(keys.get(0), "v");
        }).name("traced").listener(listener).maxDelay(NEVER).build();
        inScope(scope -> l.load(1L));
        catchThrowable(() -> inScope(scope -> l.load(99L)));
        // completed runs after the callers got their outcomes, so it may come after the next dispatch
        TestSupport.spinUntil("the second batch's completed event", () -> events.size() == 4);
        assertThat(events).containsExactlyInAnyOrder(
                "dispatched traced #1 [1] QUIESCENCE size 1", "completed #1 in 7ms",
                "dispatched traced #2 [99] QUIESCENCE size 1", "completed #2 in 0ms failed: boom");
        assertThat(events.indexOf("dispatched traced #1 [1] QUIESCENCE size 1")).isLessThan(events.indexOf("completed #1 in 7ms"));
    }

    @Test
    void b5_aListenerThatThrowsOnDispatchFailsTheBatchsKeys() {
        IllegalStateException bad = new IllegalStateException("tracer broken");
        Loader<Long, String> l = Loader.builder(calls.recording("l", (Long id) -> "v"))
                .listener(new BatchListener() {
                    @Override
                    public void dispatched(Batch b) {
                        throw bad;
                    }
                }).maxDelay(NEVER).build();
        Throwable t = inScope(scope -> catchThrowable(() -> l.load(1L)));
        assertThat(t).isInstanceOf(LoadFailedException.class).hasCause(bad);
        assertThat(calls.calls).isEmpty();
    }

    // ------------------------------------------------------------------ API boundary

    @Test
    void badInputFailsAtTheCallWithAClearMessage() {
        assertThatThrownBy(() -> Loader.builder(calls.recording("x", (Long k) -> "")).maxBatchSize(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 1");
        assertThatThrownBy(() -> Loader.builder(calls.recording("x", (Long k) -> "")).maxDelay(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("negative");
        assertThatThrownBy(() -> Loader.builder(calls.recording("x", (Long k) -> "")).name(" "))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blank");
        assertThatThrownBy(() -> users.load(null)).isInstanceOf(NullPointerException.class).hasMessageContaining("users");
        List<Long> withNull = new ArrayList<>();
        withNull.add(null);
        assertThatThrownBy(() -> users.loadAll(withNull)).isInstanceOf(NullPointerException.class);
        Loader<Long, String> nullMap = Loader.<Long, String>builder(keys -> null).name("nullmap").maxDelay(NEVER).build();
        Throwable t = inScope(scope -> catchThrowable(() -> nullMap.load(1L)));
        assertThat(t).isInstanceOf(LoadFailedException.class).hasMessageContaining("returned null");
    }

    @Test
    void aLoadInACancelledScopeThrowsWithoutSendingAnything() {
        Throwable t = catchThrowable(() -> inScope(scope -> {
            scope.cancel("stop");
            return users.load(1L);
        }));
        assertThat(t).isInstanceOf(Cancelled.class);
        assertThat(users.statistics().loads()).isZero();
        assertThat(calls.calls).isEmpty();
    }
}
