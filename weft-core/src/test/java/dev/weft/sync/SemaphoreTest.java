package dev.weft.sync;

import dev.weft.Scope;
import static dev.weft.TestSupport.inThread;
import static dev.weft.TestSupport.outcome;
import static dev.weft.TestSupport.spinUntil;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** C6 for {@link Semaphore}: construction, maximum, FIFO hand-off, no owner, statistics. */
class SemaphoreTest {

    private final List<Semaphore> made = new ArrayList<>();

    private Semaphore semaphore(Semaphore s) {
        made.add(s);
        return s;
    }

    @AfterEach
    void atRest() {
        for (Semaphore s : made) {
            s.checkInvariants();
            assertThat(s.statistics().tasksWaiting()).as("nobody waits after the test").isZero();
        }
    }

    @Test
    void c6_constructionChecksItsArguments() {
        assertThatThrownBy(() -> new Semaphore(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("initialValue must be >= 0, got -1");
        assertThatThrownBy(() -> new Semaphore(0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maxValue must be >= 1, got 0");
        assertThatThrownBy(() -> new Semaphore(3, 2)).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("initialValue 3 is above maxValue 2: start at most at the maximum");
        assertThat(semaphore(new Semaphore(0, 2)).statistics()).isEqualTo(new SemaphoreStatistics(0, OptionalInt.of(2), 0));
        assertThat(semaphore(new Semaphore(5)).maxValue()).isEmpty();
    }

    @Test
    void c6_acquireAndReleaseCountPermits() {
        Semaphore s = semaphore(new Semaphore(2, 2));
        s.acquire();
        assertThat(s.value()).isEqualTo(1);
        assertThat(s.tryAcquire()).isTrue();
        assertThat(s.tryAcquire()).isFalse();
        assertThat(s.tryAcquire(Duration.ZERO)).isFalse();
        s.release();
        s.release();
        assertThat(s.value()).isEqualTo(2);
        assertThat(s.toString()).isEqualTo("Semaphore[2/2 free, 0 waiting]");
    }

    @Test
    void c6_aReleaseAboveTheMaximumFailsAtOnce() {
        Semaphore s = semaphore(new Semaphore(1, 1));
        assertThatThrownBy(s::release).isInstanceOf(IllegalStateException.class)
                .hasMessage("release() would raise the Semaphore above its maximum of 1: a release without a matching acquire");
        assertThat(s.value()).isEqualTo(1);
    }

    @Test
    void c6_withoutAMaximumAReleaseAddsAPermit() {
        Semaphore s = semaphore(new Semaphore(0));
        s.release();
        s.release();
        assertThat(s.value()).isEqualTo(2);
        Semaphore full = semaphore(new Semaphore(Integer.MAX_VALUE));
        assertThatThrownBy(full::release).isInstanceOf(IllegalStateException.class)
                .hasMessage("release() would raise the Semaphore past Integer.MAX_VALUE permits");
    }

    @Test
    void c6_permitsHaveNoOwnerSoAnotherThreadMayRelease() throws Throwable {
        Semaphore s = semaphore(new Semaphore(1, 1));
        Permit p = s.permit();
        assertThat(s.value()).isZero();
        outcome(inThread(() -> {
            p.close();
            return null;
        }));
        assertThat(s.value()).isEqualTo(1);
        p.close(); // idempotent
        assertThat(s.value()).isEqualTo(1);
    }

    @Test
    void c6_waitersGetPermitsInTheOrderTheyStartedWaiting() {
        Semaphore s = semaphore(new Semaphore(0, 1));
        List<Integer> order = Collections.synchronizedList(new ArrayList<>());
        Scope.run(scope -> {
            for (int i = 0; i < 5; i++) {
                int id = i;
                scope.fork(() -> {
                    s.acquire();
                    order.add(id);
                    s.release();
                    return null;
                });
                spinUntil("waiter " + i + " to queue", () -> s.statistics().tasksWaiting() == id + 1);
            }
            s.release();
            return null;
        });
        assertThat(order).containsExactly(0, 1, 2, 3, 4);
        assertThat(s.value()).isEqualTo(1);
    }

    @Test
    void c6_releaseHandsThePermitToTheWaiterSoALaterCallerCannotBarge() {
        Semaphore s = semaphore(new Semaphore(0, 1));
        AtomicBoolean checked = new AtomicBoolean();
        Scope.run(scope -> {
            scope.fork(() -> {
                s.acquire();
                spinUntil("the test to look", checked::get);
                s.release();
                return null;
            });
            spinUntil("the waiter to queue", () -> s.statistics().tasksWaiting() == 1);
            s.release();
            assertThat(s.tryAcquire()).as("no barging").isFalse();
            assertThat(s.statistics()).isEqualTo(new SemaphoreStatistics(0, OptionalInt.of(1), 0));
            checked.set(true);
            return null;
        });
        assertThat(s.value()).isEqualTo(1);
    }

    @Test
    void c6_statisticsCountWaitersAndStayFixed() {
        Semaphore s = semaphore(new Semaphore(0));
        SemaphoreStatistics before = s.statistics();
        SemaphoreStatistics[] during = new SemaphoreStatistics[1];
        Scope.run(scope -> {
            for (int i = 0; i < 3; i++) {
                scope.fork(() -> {
                    s.acquire();
                    return null;
                });
            }
            spinUntil("three waiters", () -> s.statistics().tasksWaiting() == 3);
            during[0] = s.statistics();
            for (int i = 0; i < 3; i++) s.release();
            return null;
        });
        assertThat(during[0]).isEqualTo(new SemaphoreStatistics(0, OptionalInt.empty(), 3));
        assertThat(before).isEqualTo(new SemaphoreStatistics(0, OptionalInt.empty(), 0));
        assertThat(s.statistics()).isEqualTo(new SemaphoreStatistics(0, OptionalInt.empty(), 0));
    }
}
