package dev.weft.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.weft.sync.CapacityLimiter;
import dev.weft.DeadlineExceeded;
import dev.weft.Scope;
import dev.weft.examples.SightingsClient.Answer;
import dev.weft.examples.SightingsClient.Collected;
import dev.weft.examples.SightingsClient.Report;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The demo client's pipeline: every report answered once, never more requests in flight than the limiter allows, and the deadline holds. */
class SightingsClientTest {

    private static final List<Report> REPORTS = IntStream.rangeClosed(1, 7).mapToObj(i -> new Report(i, "wren", i)).toList();

    /** A server whose handler first waits on {@code gate}, then answers 201 with the query; counts requests in flight. */
    private record Server(HttpServer http, AtomicInteger inFlight, AtomicInteger most, AtomicInteger served) implements AutoCloseable {
        static Server start(CountDownLatch gate) throws Exception {
            Server s = new Server(HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0), new AtomicInteger(), new AtomicInteger(), new AtomicInteger());
            s.http.createContext("/sightings", exchange -> {
                s.most.accumulateAndGet(s.inFlight.incrementAndGet(), Math::max);
                try {
                    gate.countDown();
                    gate.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } finally {
                    s.inFlight.decrementAndGet();
                }
                byte[] body = exchange.getRequestURI().getQuery().getBytes(StandardCharsets.UTF_8);
                // Counted before the answer goes out: once the client has every answer, the count
                // must be complete (counted after, the last one raced the test's check: 6 of 7).
                s.served.incrementAndGet();
                exchange.sendResponseHeaders(201, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            });
            s.http.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            s.http.start();
            return s;
        }

        URI address() {
            return URI.create("http://127.0.0.1:" + http.getAddress().getPort());
        }

        @Override
        public void close() {
            http.stop(0);
        }
    }

    @Test
    void everyReportIsAnsweredOnce_andTheLimiterBoundsTheRequestsInFlight() throws Exception {
        // The first two requests wait for each other, so two are in flight at once for sure; with
        // three posters and a limit of two, a third is never sent while they wait.
        CountDownLatch twoInFlight = new CountDownLatch(2);
        try (HttpClient http = HttpClient.newHttpClient(); Server server = Server.start(twoInFlight)) {
            Collected c = Scope.failAfter(Duration.ofSeconds(20),
                    scope -> SightingsClient.post(http, server.address(), REPORTS, 3, new CapacityLimiter(2)));

            assertThat(c.answers()).extracting(Answer::report).containsExactlyElementsOf(REPORTS);
            assertThat(c.answers()).allSatisfy(a -> {
                assertThat(a.status()).isEqualTo(201);
                assertThat(a.body()).isEqualTo(a.report().query());
                assertThat(a.poster()).matches("poster-[123]");
            });
            assertThat(server.served().get()).isEqualTo(REPORTS.size());
            assertThat(server.most().get()).isEqualTo(2);
            assertThat(c.mostAtOnce()).isEqualTo(2);
            assertThat(c.limit()).isEqualTo(2);
        }
    }

    @Test
    void aServerThatNeverAnswersMeetsTheDeadline_andNoStageIsLeftRunning() throws Exception {
        CountDownLatch never = new CountDownLatch(REPORTS.size() + 1); // the handlers wait until the test ends
        try (HttpClient http = HttpClient.newHttpClient(); Server server = Server.start(never)) {
            try {
                assertThatThrownBy(() -> Scope.failAfter(Duration.ofMillis(300),
                        scope -> SightingsClient.post(http, server.address(), REPORTS, 3, new CapacityLimiter(2))))
                        .isInstanceOf(DeadlineExceeded.class);
                // Scope.failAfter returned: the producer, the posters and the collector have all ended (S1).
                assertThat(server.served().get()).isZero();
                assertThat(server.most().get()).isBetween(1, 2);
            } finally {
                while (never.getCount() > 0) never.countDown(); // let the server's blocked handlers go before anything closes
            }
        }
    }
}
