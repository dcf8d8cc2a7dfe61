package dev.weft.sync;

import dev.weft.Cancelled;
import dev.weft.Scope;
import static dev.weft.TestSupport.catchCancelled;
import static dev.weft.TestSupport.spinUntil;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** C6 for {@link OnceFlag}: set wakes every waiter, stays set, statistics; await is always a cancellation point. */
class OnceFlagTest {

    private final OnceFlag flag = new OnceFlag();

    @AfterEach
    void atRest() {
        flag.checkInvariants();
        assertThat(flag.statistics().tasksWaiting()).isZero();
    }

    @Test
    void c6_setWakesEveryWaiterAndStaysSet() {
        AtomicInteger woken = new AtomicInteger();
        OnceFlagStatistics[] during = new OnceFlagStatistics[1];
        Scope.run(s -> {
            for (int i = 0; i < 4; i++) {
                s.fork(() -> {
                    flag.await();
                    woken.incrementAndGet();
                    return null;
                });
            }
            spinUntil("four waiters", () -> flag.statistics().tasksWaiting() == 4);
            during[0] = flag.statistics();
            assertThat(flag.isSet()).isFalse();
            flag.set();
            return null;
        });
        assertThat(woken).hasValue(4);
        assertThat(during[0]).isEqualTo(new OnceFlagStatistics(false, 4));
        assertThat(flag.statistics()).isEqualTo(new OnceFlagStatistics(true, 0));
        assertThat(flag.isSet()).isTrue();
        flag.await(); // set: returns at once
        assertThat(flag.await(Duration.ZERO)).isTrue();
        flag.set(); // again: nothing happens
        assertThat(flag.toString()).isEqualTo("OnceFlag[set]");
    }

    @Test
    void c6_awaitOnASetFlagInACancelledScopeStillThrows() {
        flag.set();
        Cancelled c = Scope.run(s -> {
            s.cancel("stop");
            return catchCancelled(flag::await);
        });
        assertThat(c.reason().message()).endsWith("cancelled: stop");
        assertThat(flag.toString()).isEqualTo("OnceFlag[set]");
    }

    @Test
    void c6_awaitWithATimeoutOnAnUnsetFlagOutsideAnyScopeUsesTheSystemClock() {
        assertThat(flag.await(Duration.ofMillis(1))).isFalse();
        assertThat(flag.toString()).isEqualTo("OnceFlag[unset, 0 waiting]");
    }
}
