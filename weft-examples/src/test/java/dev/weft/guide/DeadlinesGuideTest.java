package dev.weft.guide;

import dev.weft.DeadlineExceeded;
import dev.weft.ExceptionGroup;
import dev.weft.FakeClock;
import dev.weft.MoveOnResult;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.Weft;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The snippets of docs/guide/deadlines.md. Every test runs on a {@link FakeClock} with
 * {@code autojump()}: the clock jumps to its next timer whenever every thread of the scope waits
 * in Weft, so a deadline of minutes passes in microseconds, and exactly.
 */
class DeadlinesGuideTest extends GuideTest {

    final FakeClock clock = new FakeClock().autojump();

    /** A price service that takes 5 s to answer. */
    static String quote(String symbol) {
        Weft.sleep(Duration.ofSeconds(5));
        return symbol + " 42.00";
    }

    /** What the clock has moved since the test began. */
    Duration elapsed() {
        return Duration.between(Instant.parse("2000-01-01T00:00:00Z"), clock.instant());
    }

    @Test
    void failAfterThrowsDeadlineExceededAfterTwoSeconds() {
        Scope.builder().clock(clock).run(test -> {
            // tag::fail-after[]
            try {
                String price = Scope.failAfter(Duration.ofSeconds(2), scope -> quote("ACME"));
                System.out.println(price);
            } catch (DeadlineExceeded e) {
                System.out.println(e.getMessage() + "; timeout " + e.timeout().orElseThrow());
            }
            // end::fail-after[]
            return null;
        });
        assertThat(printed()).singleElement().asString()
                .matches("deadline of scope 'scope-\\d+' passed \\(2s after it opened\\); timeout PT2S");
        assertThat(elapsed()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void moveOnAfterReturnsAndSaysTimeRanOut() {
        Scope.builder().clock(clock).run(test -> {
            // tag::move-on-after[]
            MoveOnResult<String> r = Scope.moveOnAfter(Duration.ofSeconds(1), scope -> quote("ACME"));
            if (r.timedOut()) System.out.println("no fresh price within 1 s");
            String shown = r.orElse("ACME 41.50 (cached)");
            // end::move-on-after[]
            System.out.println(shown);
            return null;
        });
        assertThat(printed()).containsExactly("no fresh price within 1 s", "ACME 41.50 (cached)");
        assertThat(elapsed()).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void theNearestDeadlineWins() {
        Scope.builder().clock(clock).run(test -> {
            // tag::nested-deadlines[]
            try {
                Scope.builder().name("request").timeout(Duration.ofSeconds(1)).run(request -> {
                    MoveOnResult<String> price = Scope.moveOnAfter(Duration.ofSeconds(10), lookup -> {
                        System.out.println("time left: " + Weft.remaining().orElseThrow());   // 1 s, not 10
                        return quote("ACME");
                    });
                    return price.orElse("no price");   // not reached: the request's deadline passed
                });
            } catch (DeadlineExceeded e) {
                System.out.println(e.getMessage());
            }
            // end::nested-deadlines[]
            return null;
        });
        assertThat(printed()).containsExactly("time left: PT1S", "deadline of scope 'request' passed (1s after it opened)");
        assertThat(elapsed()).isEqualTo(Duration.ofSeconds(1));
    }

    // tag::fake-clock-test[]
    @Test
    void quoteGivesUpAfterTwoSeconds() {
        FakeClock clock = new FakeClock().autojump();     // jumps whenever every task waits in Weft
        ExceptionGroup group = assertThrows(ExceptionGroup.class, () ->
                Scope.builder().clock(clock).run(test ->
                        Scope.failAfter(Duration.ofSeconds(2), scope -> quote("ACME"))));
        assertThat(group.single()).isInstanceOf(DeadlineExceeded.class);
        assertEquals(Instant.parse("2000-01-01T00:00:02Z"), clock.instant());   // 2 s, in no real time
    }
    // end::fake-clock-test[]

    @Test
    void advancingByHand() {
        FakeClock clock = new FakeClock();
        String answer =
        // tag::fake-clock-advance[]
        Scope.builder().clock(clock).run(scope -> {
            Task<String> price = scope.fork(() -> quote("ACME"));   // sleeps 5 s on the scope's clock
            clock.awaitTimers(1);                                     // the task is asleep now
            clock.advance(Duration.ofSeconds(5));                     // wakes it, in no real time
            return price.join();
        });
        // end::fake-clock-advance[]
        assertThat(answer).isEqualTo("ACME 42.00");
    }
}
