package dev.weft.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.examples.SightingsHttp.SightingReported;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** E4 end to end: handlers run after the response is sent, and not at all for a failed request. */
class SightingsHttpTest {

    private static HttpResponse<String> post(HttpClient client, SightingsHttp app, String query) throws Exception {
        return client.send(HttpRequest.newBuilder(app.address().resolve("/sightings?" + query))
                .POST(HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void e4_handlersRunAfterTheResponseAndNotAtAllForAFailedRequest() throws Exception {
        CountDownLatch responseReceived = new CountDownLatch(1);
        List<SightingReported> notified = new CopyOnWriteArrayList<>();
        List<Boolean> afterResponse = new CopyOnWriteArrayList<>();
        CountDownLatch secondNotified = new CountDownLatch(2);
        try (SightingsHttp app = SightingsHttp.start(0, s -> {
                 // The handler waits until the client holds the response: had the server waited
                 // for this handler before answering, the request would never complete.
                 afterResponse.add(responseReceived.await(20, TimeUnit.SECONDS));
                 notified.add(s);
                 secondNotified.countDown();
             });
             HttpClient client = HttpClient.newHttpClient()) {
            HttpResponse<String> ok = post(client, app, "species=kestrel&count=2");
            assertThat(ok.statusCode()).isEqualTo(201);
            assertThat(ok.body()).isEqualTo("recorded 2 kestrel\n");
            responseReceived.countDown();

            HttpResponse<String> failed = post(client, app, "species=owl&count=1&fail=true");
            assertThat(failed.statusCode()).isEqualTo(500);
            HttpResponse<String> invalid = post(client, app, "species=kite&count=0");
            assertThat(invalid.statusCode()).isEqualTo(500);
            HttpResponse<String> later = post(client, app, "species=wren&count=3");
            assertThat(later.statusCode()).isEqualTo(201);

            assertThat(secondNotified.await(20, TimeUnit.SECONDS)).isTrue();
            assertThat(app.bus().awaitIdle(Duration.ofSeconds(20))).isTrue();
            assertThat(notified).containsExactly(new SightingReported("kestrel", 2), new SightingReported("wren", 3));
            assertThat(afterResponse).containsOnly(true);
            var stats = app.bus().statistics();
            assertThat(stats.discardedByFailedScopes()).isEqualTo(1); // the owl: emitted, then its request failed
            assertThat(stats.rejected()).isEqualTo(1);                // the kite: refused by validation
        }
    }

    @Test
    void theExampleRunsAndSaysWhatHappened() throws Exception {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        SightingsHttp.run(new PrintStream(buf, true, StandardCharsets.UTF_8));
        String out = buf.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("-> 201 recorded 2 kestrel").contains("fail=true -> 500").contains("count=0 -> 500")
                .contains("birders told: 2 kestrel").doesNotContain("told: 1 owl")
                .contains("dropped with their failed request 1, refused at emit 1");
    }
}
