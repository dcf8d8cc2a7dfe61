package dev.weft.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.examples.SightingsClient.Answer;
import dev.weft.examples.SightingsClient.Report;
import dev.weft.examples.SightingsService.Outcome;
import dev.weft.kafka.KafkaCluster;
import dev.weft.test.RedisServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 6, item 9: the main example ({@code ./dev example}) tells the story of each report in the
 * order it happened, its counts add up, and it runs on the in-memory transport by default, on
 * Redis Streams with a URL, and on Kafka with a bootstrap (a KRaft broker of the test's own). No sleeps: the demo itself waits for the events with semaphores under
 * its deadline, and the order is read from the printed lines, which are printed where each step
 * happens. The timeouts say "terminates by itself in a few seconds".
 */
class SightingsServiceTest {

    private record Run(Outcome outcome, String text, List<String> lines) {}

    private static Run run(String redisUrl) throws Exception {
        return run(redisUrl, null);
    }

    private static Run run(String redisUrl, String kafkaBootstrap) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Outcome outcome;
        try (PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            outcome = SightingsService.run(out, redisUrl, kafkaBootstrap);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        return new Run(outcome, text, text.lines().toList());
    }

    /** The index of the one line that starts with {@code prefix}. */
    private static int line(Run run, String prefix) {
        List<Integer> found = new java.util.ArrayList<>();
        for (int i = 0; i < run.lines().size(); i++) {
            if (run.lines().get(i).startsWith(prefix)) found.add(i);
        }
        assertThat(found).as("lines starting with '%s' in:%n%s", prefix, run.text()).hasSize(1);
        return found.get(0);
    }

    private static void assertTheStoryAndTheCounts(Run run) {
        List<Report> valid = SightingsService.REPORTS.stream().filter(r -> r.count() >= 1).toList();
        List<Report> invalid = SightingsService.REPORTS.stream().filter(r -> r.count() < 1).toList();
        assertThat(invalid).isNotEmpty();
        int summary = line(run, "final statistics: ");

        // Each accepted report: accepted, response sent, THEN statistics and worker (in either order).
        for (Report r : valid) {
            String tag = "#" + r.id() + " ";
            int accepted = line(run, tag + "[server] accepted " + r.count() + " " + r.species()
                    + "; its row and its event are committed together in H2 (the outbox), and its event is held by scope"
                    + " 'http POST /sightings' until the response is sent");
            int sent = line(run, tag + "[server] response sent: 201");
            int stats = line(run, tag + "[stats]  updated after the response: " + r.species());
            int worker = line(run, tag + "[worker] handled after the response: birders told of " + r.count() + " " + r.species());
            assertThat(accepted).as(run.text()).isLessThan(sent);
            assertThat(sent).as(run.text()).isLessThan(stats).isLessThan(worker);
            assertThat(summary).as(run.text()).isGreaterThan(stats).isGreaterThan(worker);
        }
        // The rejected one: refused, 400, and nothing after it.
        for (Report r : invalid) {
            String tag = "#" + r.id() + " ";
            assertThat(line(run, tag + "[server] refused: ")).isLessThan(line(run, tag + "[server] response sent: 400"));
            assertThat(run.lines()).noneMatch(l -> l.startsWith(tag + "[stats]") || l.startsWith(tag + "[worker]"));
            line(run, tag + "was rejected and dispatched nothing");
        }

        // The counts add up: every report answered once, the statistics and the worker saw exactly the accepted ones.
        Outcome o = run.outcome();
        List<Answer> answers = o.collected().answers();
        assertThat(answers).extracting(Answer::report).containsExactlyElementsOf(SightingsService.REPORTS);
        assertThat(answers).filteredOn(Answer::accepted).extracting(Answer::report).containsExactlyElementsOf(valid);
        assertThat(answers).filteredOn(a -> !a.accepted()).allSatisfy(a -> assertThat(a.status()).isEqualTo(400));
        Set<Integer> validIds = valid.stream().map(Report::id).collect(Collectors.toSet());
        assertThat(o.statisticsSaw()).isEqualTo(validIds);
        assertThat(o.workerSaw()).isEqualTo(validIds);
        assertThat(o.statistics().values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(valid.stream().mapToInt(Report::count).sum());
        assertThat(o.statistics()).containsExactlyInAnyOrderEntriesOf(valid.stream()
                .collect(Collectors.groupingBy(Report::species, Collectors.summingInt(Report::count))));
        assertThat(o.bus().emitted()).isEqualTo(valid.size());
        assertThat(o.bus().rejected()).isEqualTo(invalid.size());
        assertThat(o.bus().discardedByFailedScopes()).isZero();
        assertThat(o.collected().mostAtOnce()).isBetween(1, SightingsService.AT_ONCE);

        assertThat(run.text())
                .contains("collector: 4 answers, 3 accepted (201), 1 rejected (#3: 400)")
                .contains("#3 was rejected and dispatched nothing: the bus emitted 3 events and refused 1; the statistics saw #1 #2 #4, the worker #1 #2 #4")
                .contains("final statistics: {kestrel=5, owl=1} (6 birds from 3 accepted reports)")
                .contains("events wait in the outbox table, committed with their sightings (3 rows)")
                .contains("every accepted report's event survived the outage: the worker handled #1 #2 #4, 0 dead letters, 0 events left in the outbox");
        // The staged outage: the relay is refused before the transport comes back, and the worker handles nothing until then.
        int back = line(run, "[outbox] the transport is back");
        assertThat(line(run, "[outbox] during the outage the relay was refused ")).isLessThan(back);
        assertThat(run.text()).containsPattern("during the outage the relay was refused [1-9][0-9]* time\\(s\\) and dropped nothing: 3 events wait");
        for (Report r : valid) assertThat(line(run, "#" + r.id() + " [worker] handled after the response")).isGreaterThan(back);
    }

    @Test
    @Timeout(15)
    void inMemoryByDefault_theStoryIsInOrderAndTheCountsAddUp() throws Exception {
        Run run = run(null);
        assertThat(run.lines().get(0)).startsWith("sightings service on http://127.0.0.1:")
                .endsWith("events go through the in-memory transport (this process only; set WEFT_REDIS_URL=redis://host:port to use Redis Streams)");
        assertThat(run.outcome().redis()).isFalse();
        assertTheStoryAndTheCounts(run);
        assertThat(run.lines().get(run.lines().size() - 1)).startsWith("done in ").endsWith("events went through the in-memory transport");
    }

    @Test
    @Timeout(150) // starting the broker (a JVM of its own) takes most of it on a busy machine
    void onKafkaWhenABootstrapIsGiven() throws Exception {
        try (KafkaCluster kafka = KafkaCluster.start(1)) {
            Run run = run(null, kafka.bootstrap());
            assertThat(run.lines().get(0)).endsWith("events go through Kafka (topic 'sightings' at " + kafka.bootstrap() + ")");
            assertThat(run.outcome().redis()).isFalse();
            assertTheStoryAndTheCounts(run);
            assertThat(run.lines().get(run.lines().size() - 1)).startsWith("done in ").endsWith("events went through Kafka at " + kafka.bootstrap());
        }
    }

    @Test
    @Timeout(30)
    void onRedisStreamsWhenAUrlIsGiven_neverShowingThePassword() throws Exception {
        try (RedisServer redis = RedisServer.start("--requirepass", "s3cret")) {
            String url = "redis://default:s3cret@127.0.0.1:" + redis.port();
            Run run = run(url);
            assertThat(run.lines().get(0))
                    .endsWith("events go through Redis Streams (stream 'sightings' at redis://default@127.0.0.1:" + redis.port() + ")");
            assertThat(run.outcome().redis()).isTrue();
            assertTheStoryAndTheCounts(run);
            assertThat(run.text()).doesNotContain("s3cret");
        }
    }

    @Test
    void theRedisUrlIsShownWithoutItsPassword() {
        assertThat(SightingsService.withoutPassword("redis://127.0.0.1:6379")).isEqualTo("redis://127.0.0.1:6379");
        assertThat(SightingsService.withoutPassword("rediss://alice:pa%3Ass@cache.example:6380/2?verifyPeer=NONE"))
                .isEqualTo("rediss://alice@cache.example:6380/2");
        assertThat(SightingsService.withoutPassword("redis://:secret@localhost")).isEqualTo("redis://localhost");
        assertThat(SightingsService.withoutPassword("redis://user:sec ret@host:1")).doesNotContain("sec");
    }
}
