package dev.weft.examples;

import dev.weft.sync.CapacityLimiter;
import dev.weft.channels.Channel;
import dev.weft.channels.ReceiveChannel;
import dev.weft.Scope;
import dev.weft.channels.SendChannel;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The demo client of {@link SightingsService}, a pipeline of channels: a producer puts the
 * reports on a bounded channel; {@code posters} tasks take them from clones of its receive end and
 * POST them, but a {@link CapacityLimiter} lets only a few requests be in flight at once; each
 * poster puts the answer on a second channel, which the collector (the scope's body) gathers.
 * Closing the last handle of a side is what ends the next stage's loop (C2, C3).
 *
 * <p>Everything runs in one scope, nested in the caller's: the caller's deadline covers every
 * stage, and a stage that fails cancels the others (S2). A waiting {@code send}, {@code receive},
 * limiter and HTTP call are all cancellation points.
 */
final class SightingsClient {

    /** One sighting report as the client sends it: {@code POST /sightings?report=1&species=kestrel&count=2}. */
    record Report(int id, String species, int count) {
        String query() {
            return "report=" + id + "&species=" + species + "&count=" + count;
        }
    }

    /** The server's answer to one report. */
    record Answer(Report report, int status, String body, String poster) {
        boolean accepted() {
            return status == 201;
        }
    }

    /** What the collector gathered, in report order, and how many requests were in flight at most. */
    record Collected(List<Answer> answers, int mostAtOnce, int limit) {}

    private SightingsClient() {}

    /**
     * Sends {@code reports} to {@code base}{@code /sightings} through the pipeline, and returns
     * every answer. Call it inside a scope with a deadline.
     */
    static Collected post(HttpClient http, URI base, List<Report> reports, int posters, CapacityLimiter inFlight) {
        Channel<Report> queued = Channel.bounded(1, "reports");
        Channel<Answer> answered = Channel.bounded(1, "answers");
        AtomicInteger now = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();

        List<Answer> answers = Scope.builder().name("sightings-client").run(scope -> {
            scope.fork("producer", () -> {
                try (SendChannel<Report> tx = queued.sender()) {
                    for (Report r : reports) tx.send(r); // waits while the posters are busy
                }
                return null;
            });
            try (ReceiveChannel<Report> from = queued.receiver(); SendChannel<Answer> to = answered.sender()) {
                for (int p = 1; p <= posters; p++) {
                    String name = "poster-" + p;
                    ReceiveChannel<Report> in = from.clone();
                    SendChannel<Answer> out = to.clone();
                    scope.fork(name, () -> {
                        try (in; out) {
                            for (Report r : in) { // ends when the producer closed and the channel is drained
                                out.send(inFlight.run(() -> { // at most inFlight.totalTokens() requests at once
                                    most.accumulateAndGet(now.incrementAndGet(), Math::max);
                                    try {
                                        HttpResponse<String> res = http.send(HttpRequest.newBuilder(base.resolve("/sightings?" + r.query()))
                                                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                                        return new Answer(r, res.statusCode(), res.body().strip(), name);
                                    } finally {
                                        now.decrementAndGet();
                                    }
                                }));
                            }
                        }
                        return null;
                    });
                }
            } // the posters hold their own clones now
            try (ReceiveChannel<Answer> collector = answered.receiver()) {
                return collector.stream().sorted(Comparator.comparingInt(a -> a.report().id())).toList(); // ends when every poster closed
            }
        });
        return new Collected(answers, most.get(), inFlight.totalTokens());
    }
}
