package dev.weft.sync;

import dev.weft.Scope;
import dev.weft.Task;
import static dev.weft.TestSupport.inThread;
import static dev.weft.TestSupport.outcome;
import static dev.weft.TestSupport.spinUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** C6 for {@link CapacityLimiter}: borrowers, misuse, changing the total at run time, run(), FIFO, statistics. */
@SuppressWarnings("try") // try (Permit held = mutex.lock()) { ... } never reads `held`: that is the idiom
class CapacityLimiterTest {

    private final CapacityLimiter limiter = new CapacityLimiter(2);

    @AfterEach
    void atRest() {
        limiter.checkInvariants();
        CapacityLimiterStatistics s = limiter.statistics();
        assertThat(s.borrowedTokens()).as("no token leaked").isZero();
        assertThat(s.tasksWaiting()).isZero();
    }

    @Test
    void c6_constructionAndTotalMustBeAtLeastOne() {
        assertThatThrownBy(() -> new CapacityLimiter(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("totalTokens must be >= 1, got 0");
        assertThatThrownBy(() -> limiter.setTotalTokens(-3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("totalTokens must be >= 1, got -3");
        assertThat(limiter.totalTokens()).isEqualTo(2);
    }

    @Test
    void c6_theDefaultBorrowerIsTheCallingThread() {
        limiter.acquire();
        assertThat(limiter.statistics()).isEqualTo(
                new CapacityLimiterStatistics(1, 2, List.of(Thread.currentThread()), 0));
        assertThat(limiter.availableTokens()).isEqualTo(1);
        limiter.release();
        assertThat(limiter.tryAcquire()).isTrue();
        limiter.releaseOnBehalfOf(Thread.currentThread()); // the same borrower, named explicitly
    }

    @Test
    void c6_theSameBorrowerAcquiringTwiceFailsAtOnce() {
        limiter.acquire();
        try {
            String expected = "thread '" + Thread.currentThread().getName() + "' already holds a token of this CapacityLimiter:"
                    + " a borrower holds at most one; release it first, or borrow on behalf of a distinct object";
            assertThatThrownBy(limiter::acquire).isInstanceOf(IllegalStateException.class).hasMessage(expected);
            assertThatThrownBy(limiter::tryAcquire).isInstanceOf(IllegalStateException.class).hasMessage(expected);
            assertThatThrownBy(limiter::borrow).isInstanceOf(IllegalStateException.class).hasMessage(expected);
        } finally {
            limiter.release();
        }
        limiter.acquireOnBehalfOf("job-1");
        try {
            assertThatThrownBy(() -> limiter.acquireOnBehalfOf(new String("job-1"))).as("borrowers compare by equals")
                    .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("borrower job-1 already holds a token");
        } finally {
            limiter.releaseOnBehalfOf("job-1");
        }
    }

    @Test
    void c6_aBorrowerAlreadyWaitingCannotWaitTwice() {
        limiter.setTotalTokens(1);
        limiter.acquireOnBehalfOf("holder");
        Scope.run(s -> {
            s.fork(() -> {
                limiter.acquireOnBehalfOf("job");
                limiter.releaseOnBehalfOf("job");
                return null;
            });
            spinUntil("job to wait", () -> limiter.statistics().tasksWaiting() == 1);
            assertThatThrownBy(() -> limiter.acquireOnBehalfOf("job")).isInstanceOf(IllegalStateException.class)
                    .hasMessage("borrower job is already waiting for a token of this CapacityLimiter: a borrower holds at most one;"
                            + " borrow on behalf of a distinct object");
            assertThatThrownBy(() -> limiter.tryAcquireOnBehalfOf("job")).isInstanceOf(IllegalStateException.class);
            limiter.releaseOnBehalfOf("holder");
            return null;
        });
    }

    @Test
    void c6_releaseByANonBorrowerFailsAtOnce() throws Throwable {
        assertThatThrownBy(limiter::release).isInstanceOf(IllegalStateException.class)
                .hasMessage("thread '" + Thread.currentThread().getName() + "' does not hold a token of this CapacityLimiter:"
                        + " a release without an acquire, or on behalf of another borrower than the one that acquired");
        limiter.acquire();
        try {
            Throwable t = outcome(inThread(() -> org.assertj.core.api.Assertions.catchThrowable(limiter::release)));
            assertThat(t).isInstanceOf(IllegalStateException.class).hasMessageStartingWith("thread 'scope-owner' does not hold a token");
            assertThatThrownBy(() -> limiter.releaseOnBehalfOf("stranger")).isInstanceOf(IllegalStateException.class)
                    .hasMessageStartingWith("borrower stranger does not hold a token");
            assertThat(limiter.borrowedTokens()).isEqualTo(1);
        } finally {
            limiter.release();
        }
    }

    @Test
    void c6_raisingTheTotalWakesWaitersAtOnce() {
        limiter.setTotalTokens(1);
        limiter.acquireOnBehalfOf("holder");
        AtomicInteger through = new AtomicInteger();
        Scope.run(s -> {
            for (int i = 0; i < 2; i++) {
                String me = "w" + i;
                s.fork(() -> {
                    limiter.acquireOnBehalfOf(me);
                    through.incrementAndGet();
                    limiter.releaseOnBehalfOf(me);
                    return null;
                });
            }
            spinUntil("two waiters", () -> limiter.statistics().tasksWaiting() == 2);
            limiter.setTotalTokens(3); // two new tokens, two waiters
            spinUntil("both through", () -> through.get() == 2);
            return null;
        });
        limiter.releaseOnBehalfOf("holder");
        assertThat(limiter.totalTokens()).isEqualTo(3);
    }

    @Test
    void c6_loweringTheTotalBelowWhatIsBorrowedOnlyBlocksNewBorrowers() {
        limiter.setTotalTokens(3);
        for (String b : List.of("a", "b", "c")) limiter.acquireOnBehalfOf(b);
        limiter.setTotalTokens(1);
        assertThat(limiter.statistics()).isEqualTo(new CapacityLimiterStatistics(3, 1, List.of("a", "b", "c"), 0));
        assertThat(limiter.availableTokens()).isZero();
        assertThat(limiter.tryAcquireOnBehalfOf("d")).isFalse();
        Scope.run(s -> {
            Task<Object> d = s.fork(() -> {
                limiter.acquireOnBehalfOf("d");
                limiter.releaseOnBehalfOf("d");
                return null;
            });
            spinUntil("d to wait", () -> limiter.statistics().tasksWaiting() == 1);
            limiter.releaseOnBehalfOf("a");
            limiter.releaseOnBehalfOf("b"); // one borrowed of one: d still waits
            assertThat(limiter.statistics().tasksWaiting()).isEqualTo(1);
            assertThat(d.isDone()).isFalse();
            limiter.releaseOnBehalfOf("c"); // now there is room
            d.join();
            return null;
        });
    }

    @Test
    void c6_runBorrowsForTheWorkAndGivesBackHoweverItEnds() throws Exception {
        assertThat(limiter.run(() -> {
            assertThat(limiter.statistics().borrowers()).containsExactly(Thread.currentThread());
            return "done";
        })).isEqualTo("done");
        assertThatThrownBy(() -> limiter.run(() -> {
            throw new java.io.IOException("disk");
        })).isInstanceOf(java.io.IOException.class);
        assertThat(limiter.borrowedTokens()).isZero();
        try (Permit p = limiter.borrowOnBehalfOf("job")) {
            assertThat(limiter.statistics().borrowers()).containsExactly("job");
        }
    }

    @Test
    void c6_waitersGetTokensInTheOrderTheyStartedWaiting() {
        limiter.setTotalTokens(1);
        limiter.acquireOnBehalfOf("holder");
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        Scope.run(s -> {
            for (int i = 0; i < 5; i++) {
                int id = i;
                s.fork(() -> limiter.run(() -> order.add(id)));
                spinUntil("waiter " + i, () -> limiter.statistics().tasksWaiting() == id + 1);
            }
            limiter.releaseOnBehalfOf("holder");
            return null;
        });
        assertThat(order).containsExactly(0, 1, 2, 3, 4);
    }

    @Test
    void c6_statisticsAreImmutableSnapshots() {
        limiter.acquireOnBehalfOf("x");
        CapacityLimiterStatistics s = limiter.statistics();
        limiter.releaseOnBehalfOf("x");
        assertThat(s).isEqualTo(new CapacityLimiterStatistics(1, 2, List.of("x"), 0));
        assertThatThrownBy(() -> s.borrowers().add("y")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(limiter.toString()).isEqualTo("CapacityLimiter[0/2 borrowed, 0 waiting]");
    }
}
