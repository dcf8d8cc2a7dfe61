package dev.weft.guide;

import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.Weft;
import dev.weft.sync.CapacityLimiter;
import dev.weft.sync.Condition;
import dev.weft.sync.Mutex;
import dev.weft.sync.OnceFlag;
import dev.weft.sync.Permit;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The snippets of docs/guide/primitives.md. */
class PrimitivesGuideTest extends GuideTest {

    @Test
    @SuppressWarnings("try") // the permit is the idiom: javac -Xlint:try warns that it is never read
    void aMutexLetsOneTaskAtATime() {
        // tag::mutex[]
        Mutex mutex = new Mutex();
        long[] balance = {0};
        Scope.run(scope -> {
            for (int i = 0; i < 100; i++) {
                scope.fork(() -> {
                    try (Permit held = mutex.lock()) {   // waits, and is a cancellation point
                        balance[0] += 10;                // one task at a time
                    }
                    return null;
                });
            }
            return null;
        });
        System.out.println("balance " + balance[0]);
        // end::mutex[]
        assertThat(printed()).containsExactly("balance 1000");
    }

    @Test
    @SuppressWarnings("try")
    void aMutexIsNotReentrant() {
        Mutex mutex = new Mutex();
        Scope.run(scope -> {
            scope.fork("ledger", () -> {
                // tag::not-reentrant[]
                try (Permit held = mutex.lock()) {
                    mutex.lock();                      // the owner again: fails at once, no deadlock
                } catch (IllegalStateException e) {
                    System.out.println(e.getMessage().substring(0, e.getMessage().indexOf(':')));
                }
                // end::not-reentrant[]
                return null;
            });
            return null;
        });
        assertThat(printed()).containsExactly("thread 'ledger' already holds this Mutex");
        assertThat(mutex.isLocked()).isFalse();
    }

    final AtomicInteger running = new AtomicInteger();
    final AtomicInteger most = new AtomicInteger();

    /** A download that takes a second on the scope's clock; records how many run at once. */
    String download(String uri) {
        most.accumulateAndGet(running.incrementAndGet(), Math::max);
        try {
            Weft.sleep(Duration.ofSeconds(1));
            return "contents of " + uri;
        } finally {
            running.decrementAndGet();
        }
    }

    @Test
    void aLimiterBoundsHowManyRunAtOnce() {
        FakeClock clock = new FakeClock().autojump();
        List<String> uris = List.of("/1", "/2", "/3", "/4", "/5", "/6");
        Scope.builder().clock(clock).run(test -> {
            // tag::limiter[]
            CapacityLimiter downloads = new CapacityLimiter(2);
            Scope.run(scope -> {
                for (String uri : uris) {
                    scope.fork(() -> downloads.run(() -> download(uri)));   // at most 2 at a time
                }
                return null;
            });
            // end::limiter[]
            return null;
        });
        assertThat(most).hasValue(2);
        assertThat(clock.instant().toString()).isEqualTo("2000-01-01T00:00:03Z"); // 6 downloads, 2 at a time
    }

    @Test
    void aOnceFlagReleasesEveryWaiter() {
        // tag::once-flag[]
        OnceFlag configLoaded = new OnceFlag();
        Scope.run(scope -> {
            for (int w = 1; w <= 3; w++) {
                int worker = w;
                scope.fork(() -> {
                    configLoaded.await();                 // waits; a cancellation point
                    System.out.println("worker " + worker + " starts");
                    return null;
                });
            }
            System.out.println("configuration loaded");
            configLoaded.set();                           // wakes all three, once and for all
            return null;
        });
        // end::once-flag[]
        assertThat(printed().get(0)).isEqualTo("configuration loaded");
        assertThat(printed()).containsExactlyInAnyOrder("configuration loaded", "worker 1 starts", "worker 2 starts", "worker 3 starts");
    }

    @Test
    @SuppressWarnings("try")
    void aConditionWaitsForAPredicate() {
        Queue<String> queue = new ArrayDeque<>();
        // tag::condition[]
        Mutex mutex = new Mutex();
        Condition notEmpty = mutex.newCondition();
        String item = Scope.run(scope -> {
            Task<String> consumer = scope.fork(() -> {
                try (Permit held = mutex.lock()) {
                    while (queue.isEmpty()) notEmpty.await();   // lets go of the mutex while it waits
                    return queue.remove();
                }
            });
            try (Permit held = mutex.lock()) {
                queue.add("order-17");
                notEmpty.signal();
            }
            return consumer.join();
        });
        // end::condition[]
        assertThat(item).isEqualTo("order-17");
    }

    @Test
    void timedAcquireGivesUpOnTheScopesClock() {
        FakeClock clock = new FakeClock().autojump();
        Mutex mutex = new Mutex();
        Scope.builder().clock(clock).run(test -> {
            OnceFlag held = new OnceFlag();
            Task<Void> holder = test.fork("holder", () -> {
                mutex.acquire();
                held.set();
                try {
                    Weft.sleep(Duration.ofMinutes(1));
                } finally {
                    mutex.release();
                }
                return null;
            });
            held.await();
            // tag::try-acquire[]
            if (mutex.tryAcquire(Duration.ofMillis(50))) {
                try {
                    System.out.println("got it");
                } finally {
                    mutex.release();
                }
            } else {
                System.out.println("busy for 50 ms: serving the cached copy");
            }
            // end::try-acquire[]
            holder.join();
            return null;
        });
        assertThat(printed()).containsExactly("busy for 50 ms: serving the cached copy");
    }
}
