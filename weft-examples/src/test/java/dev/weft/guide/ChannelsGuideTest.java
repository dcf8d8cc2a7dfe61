package dev.weft.guide;

import dev.weft.FakeClock;
import dev.weft.Scope;
import dev.weft.channels.Channel;
import dev.weft.channels.ReceiveChannel;
import dev.weft.channels.Select;
import dev.weft.channels.SendChannel;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The snippets of docs/guide/channels.md. */
class ChannelsGuideTest extends GuideTest {

    @Test
    void aPipelineEndsWhenTheProducerCloses() {
        List<String> lines = List.of("kestrel 2", "owl 1", "kestrel 3");
        // tag::pipeline[]
        Channel<String> reports = Channel.bounded(16);
        int birds = Scope.run(scope -> {
            scope.fork("producer", () -> {
                try (SendChannel<String> out = reports.sender()) {
                    for (String line : lines) out.send(line);   // waits while 16 are buffered
                }                                               // closing ends the consumer's loop
                return null;
            });
            int count = 0;
            for (String report : reports.receiver()) {          // drains the buffer, then ends
                count += Integer.parseInt(report.split(" ")[1]);
            }
            return count;
        });
        System.out.println(birds + " birds");
        // end::pipeline[]
        assertThat(printed()).containsExactly("6 birds");
    }

    @Test
    void workersShareOneChannelThroughClones() {
        // tag::clones[]
        Channel<Integer> jobs = Channel.bounded(8);
        Channel<String> results = Channel.unbounded();
        List<String> done = Scope.run(scope -> {
            try (ReceiveChannel<Integer> in = jobs.receiver(); SendChannel<String> out = results.sender()) {
                for (int w = 1; w <= 3; w++) {
                    ReceiveChannel<Integer> myJobs = in.clone();     // one handle per worker
                    SendChannel<String> myResults = out.clone();
                    String name = "worker-" + w;
                    scope.fork(name, () -> {
                        try (myJobs; myResults) {
                            for (int job : myJobs) myResults.send("job " + job + " by " + name);
                        }
                        return null;
                    });
                }
            }   // the first handles close here; the workers' clones keep both sides open
            scope.fork("producer", () -> {
                try (SendChannel<Integer> out = jobs.sender()) {
                    for (int job = 1; job <= 10; job++) out.send(job);
                }
                return null;
            });
            List<String> collected = new ArrayList<>();
            for (String r : results.receiver()) collected.add(r);   // ends when the last worker closed its clone
            return collected;
        });
        System.out.println(done.size() + " jobs done");
        // end::clones[]
        assertThat(printed()).containsExactly("10 jobs done");
        assertThat(done).extracting(s -> Integer.parseInt(s.split(" ")[1]))
                .containsExactlyInAnyOrderElementsOf(IntStream.rangeClosed(1, 10).boxed().toList());
    }

    @Test
    void tryOperationsSayWhyTheyFailed() {
        // tag::try-operations[]
        Channel<String> ch = Channel.bounded(1);
        System.out.println(ch.sender().trySend("a"));     // SENT
        System.out.println(ch.sender().trySend("b"));     // FULL: one is buffered already
        System.out.println(ch.receiver().tryReceive());   // RECEIVED(a)
        System.out.println(ch.receiver().tryReceive());   // EMPTY: more may come
        ch.sender().close();
        System.out.println(ch.receiver().tryReceive());   // CLOSED: nothing ever will
        // end::try-operations[]
        assertThat(printed()).containsExactly("SENT", "FULL", "RECEIVED(a)", "EMPTY", "CLOSED");
    }

    @Test
    void selectTakesTheFirstReadyClauseOrTimesOut() {
        FakeClock clock = new FakeClock().autojump();
        Scope.builder().clock(clock).run(test -> {
            // tag::select[]
            Channel<String> urgent = Channel.unbounded();
            Channel<String> normal = Channel.unbounded();
            normal.sender().send("newsletter");
            urgent.sender().send("server down");
            for (int i = 0; i < 3; i++) {
                String next = Select.selectWithin(Duration.ofSeconds(1), () -> "nothing within 1 s",
                        urgent.receiver().onReceive(m -> "urgent: " + m),    // tried first
                        normal.receiver().onReceive(m -> "normal: " + m));
                System.out.println(next);
            }
            // end::select[]
            return null;
        });
        assertThat(printed()).containsExactly("urgent: server down", "normal: newsletter", "nothing within 1 s");
        assertThat(clock.instant()).isEqualTo(Instant.parse("2000-01-01T00:00:01Z"));
    }

    @Test
    void aTimedSendThatReturnsFalseSentNothing() {
        FakeClock clock = new FakeClock().autojump();
        Scope.builder().clock(clock).run(test -> {
            Channel<String> channel = Channel.rendezvous("reports");
            SendChannel<String> out = channel.sender();
            String report = "kestrel 2";
            // tag::timed-send[]
            if (!out.send(report, Duration.ofSeconds(1))) {
                System.out.println("nobody took the report within 1 s; it was not sent");
            }
            // end::timed-send[]
            assertThat(channel.statistics().bufferUsed()).isZero();
            return null;
        });
        assertThat(printed()).containsExactly("nobody took the report within 1 s; it was not sent");
    }
}
