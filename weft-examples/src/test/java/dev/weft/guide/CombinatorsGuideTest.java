package dev.weft.guide;

import dev.weft.ExceptionGroup;
import dev.weft.FakeClock;
import dev.weft.Par;
import dev.weft.RetryPolicy;
import dev.weft.Schedule;
import dev.weft.Scope;
import dev.weft.Weft;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The snippets of docs/guide/combinators.md; the timed ones on a FakeClock with autojump. */
class CombinatorsGuideTest extends GuideTest {

    final FakeClock clock = new FakeClock().autojump();

    static String quote(String supplier, String sku) {
        return supplier + ": " + sku + " 9.99";
    }

    static String slowStatus(String server) {
        Weft.sleep(Duration.ofHours(1));
        return server + " up";
    }

    static String fastStatus(String server) {
        return server + " up";
    }

    Duration elapsed() {
        return Duration.between(Instant.parse("2000-01-01T00:00:00Z"), clock.instant());
    }

    @Test
    void allRunsEverythingAtOnceAndKeepsTheOrder() {
        // tag::par-all[]
        List<String> quotes = Par.all(() -> quote("acme", "SKU-1"), () -> quote("globex", "SKU-1"));
        System.out.println(quotes);
        // end::par-all[]
        assertThat(printed()).containsExactly("[acme: SKU-1 9.99, globex: SKU-1 9.99]");
    }

    @Test
    void allFailsWithTheFailureUnderItsTaskName() {
        ExceptionGroup group = assertThrows(ExceptionGroup.class, () ->
                Par.all(() -> quote("acme", "SKU-1"), () -> { throw new IOException("globex is down"); }));
        assertThat(group.leaves()).singleElement().satisfies(f -> assertThat(f.taskName()).isEqualTo("all-2"));
    }

    @Test
    void raceTakesTheFirstSuccess() {
        // tag::par-race[]
        String status = Par.race(() -> slowStatus("primary"), () -> fastStatus("mirror"));
        System.out.println(status);   // the primary is cancelled, and waited for
        // end::par-race[]
        assertThat(printed()).containsExactly("mirror up");
    }

    @Test
    void mapKeepsAtMostNInFlight() {
        AtomicInteger running = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        List<String> urls = Arrays.asList("/a", "/bb", "/ccc", "/dddd", "/eeeee", "/ffffff", "/g", "/hh");
        Scope.builder().clock(clock).run(test -> {
            // tag::par-map[]
            List<Integer> sizes = Par.map(urls, 4, url -> {   // at most 4 at once, results in order
                most.accumulateAndGet(running.incrementAndGet(), Math::max);
                Weft.sleep(Duration.ofSeconds(1));            // a fetch that takes a second
                running.decrementAndGet();
                return url.length();
            });
            System.out.println(sizes);
            // end::par-map[]
            return null;
        });
        assertThat(printed()).containsExactly("[2, 3, 4, 5, 6, 7, 2, 3]");
        assertThat(most).hasValue(4);
        assertThat(elapsed()).isEqualTo(Duration.ofSeconds(2));   // 8 items, 4 at a time, 1 s each
    }

    final AtomicInteger calls = new AtomicInteger();

    /** Fails twice, then answers. */
    String flakyFetch(String url) throws IOException {
        if (calls.incrementAndGet() <= 2) throw new IOException("connection reset (try " + calls.get() + ")");
        return "page " + url;
    }

    @Test
    void retryWaitsWithBackoffOnTheScopesClock() {
        Scope.builder().clock(clock).run(test -> {
            // tag::retry[]
            RetryPolicy policy = RetryPolicy.exponential(4, Duration.ofMillis(200), Duration.ofSeconds(2));
            String page = Weft.retry(policy, e -> e instanceof IOException, () -> flakyFetch("/a"));
            System.out.println(page + " after " + calls.get() + " tries");
            // end::retry[]
            return null;
        });
        assertThat(printed()).containsExactly("page /a after 3 tries");
        assertThat(elapsed()).isEqualTo(Duration.ofMillis(600));   // 200 ms, then 400 ms
    }

    @Test
    void retryThrowsTheLastFailureWithTheEarlierOnesSuppressed() {
        IOException[] last = new IOException[1];
        Scope.builder().clock(clock).run(test -> {
            try {
                return Weft.retry(RetryPolicy.exponential(2, Duration.ofMillis(200), Duration.ofSeconds(2)), () -> flakyFetch("/a"));
            } catch (IOException e) {
                last[0] = e;
                return null;
            }
        });
        assertThat(last[0]).hasMessage("connection reset (try 2)");
        assertThat(last[0].getSuppressed()).singleElement().satisfies(t -> assertThat(t).hasMessage("connection reset (try 1)"));
    }

    @Test
    void repeatRunsOnItsSchedule() {
        Scope.builder().clock(clock).run(test -> {
            // tag::repeat[]
            Weft.repeat(Schedule.fixedRate(Duration.ofMinutes(1)).times(3), () -> {
                System.out.println("sample at " + Weft.clock().instant().toString().substring(11, 19));
                return null;
            });
            // end::repeat[]
            return null;
        });
        assertThat(printed()).containsExactly("sample at 00:00:00", "sample at 00:01:00", "sample at 00:02:00");
    }
}
