package dev.weft.examples;

import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.sync.CapacityLimiter;
import dev.weft.channels.Channel;
import dev.weft.ExceptionGroup;
import dev.weft.MoveOnResult;
import dev.weft.channels.ReceiveChannel;
import dev.weft.Scope;
import dev.weft.channels.SendChannel;
import dev.weft.Task;
import dev.weft.Weft;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scopes at work (the README's "30 seconds"): fans out slow lookups under a deadline, then shows
 * a failure cancelling its siblings, and prints the exception group and every cancellation
 * reason; finally runs a pipeline of channels with workers behind a capacity limiter.
 *
 * <p>Run it with {@code ./dev mvn -B -q -pl weft-examples -am install -DskipTests exec:java
 * -Dexec.mainClass=dev.weft.examples.FanOutUnderDeadline}. Needs nothing but a JDK 21+.
 */
public final class FanOutUnderDeadline {

    /** A pretend remote service: each lookup takes a while; one of them is broken. */
    static String lookup(String city, Duration latency) throws InterruptedException {
        Thread.sleep(latency); // an ordinary blocking JDK call: cancellation interrupts it
        if (city.equals("Atlantis")) throw new IllegalStateException("no such city: " + city);
        return city + ": " + (city.length() * 3 + 7) + "°C";
    }

    public static void main(String[] args) {
        run(System.out);
    }

    static void run(PrintStream out) {
        out.println("== 1. Fan out four lookups; give them 400 ms in all ==");
        Map<String, CancelReason> reasons = new ConcurrentHashMap<>();
        MoveOnResult<List<String>> weather = Scope.moveOnAfter(Duration.ofMillis(400), scope -> {
            List<Task<String>> tasks = new ArrayList<>();
            for (var e : Map.of("Lisbon", 50, "Oslo", 120, "Lima", 200, "Perth", 5_000).entrySet()) {
                tasks.add(scope.fork("lookup-" + e.getKey(), () -> remember(reasons,
                        () -> lookup(e.getKey(), Duration.ofMillis(e.getValue())))));
            }
            List<String> done = new ArrayList<>();
            for (Task<String> t : tasks) done.add(t.join()); // Perth never comes: the deadline cuts in
            return done;
        });
        out.println("timed out: " + weather.timedOut() + ", value: " + weather.orElse(List.of()));
        reasons.forEach((task, reason) -> out.println("  " + task + " was cancelled: " + reason));

        out.println();
        out.println("== 2. One lookup fails: its siblings are cancelled, the scope reports the failure ==");
        reasons.clear();
        try {
            Scope.builder().name("forecast").timeout(Duration.ofSeconds(5)).run(scope -> {
                scope.fork("lookup-Quito", () -> remember(reasons, () -> lookup("Quito", Duration.ofSeconds(3))));
                scope.fork("lookup-Hanoi", () -> remember(reasons, () -> lookup("Hanoi", Duration.ofSeconds(3))));
                scope.fork("lookup-Atlantis", () -> lookup("Atlantis", Duration.ofMillis(30)));
                return null;
            });
        } catch (ExceptionGroup group) {
            out.println("the scope threw: " + group.getMessage());
            group.printStackTrace(out);
            out.println("the one failure, unwrapped: " + group.single());
        }
        reasons.forEach((task, reason) -> out.println("  " + task + " was cancelled because " + reason));

        out.println();
        out.println("== 3. A pipeline: producer -> 4 workers, at most 2 looking up at once -> collector ==");
        pipeline(out);
        out.println();
        out.println("every task finished before its scope returned; exiting normally.");
    }

    /**
     * A producer sends city names into a bounded channel; four workers receive from clones of its
     * receive end and look each city up, but a capacity limiter lets only two lookups run at once;
     * they send reports into a second channel, which the scope's body collects. Closing the last
     * handle of a side is what ends the next stage's loop (C2, C3).
     */
    static void pipeline(PrintStream out) {
        List<String> cities = List.of("Accra", "Bergen", "Cusco", "Dakar", "Essen", "Fez", "Goa", "Hilo");
        Channel<String> queued = Channel.bounded(2, "queued");
        Channel<String> reports = Channel.bounded(2, "reports");
        CapacityLimiter lookups = new CapacityLimiter(2);
        AtomicInteger busy = new AtomicInteger();
        AtomicInteger mostBusy = new AtomicInteger();

        List<String> collected = Scope.failAfter(Duration.ofSeconds(10), scope -> {
            scope.fork("producer", () -> {
                try (SendChannel<String> tx = queued.sender()) {
                    for (String city : cities) tx.send(city); // waits while 2 are queued
                }
                return null;
            });
            try (ReceiveChannel<String> from = queued.receiver(); SendChannel<String> to = reports.sender()) {
                for (int w = 1; w <= 4; w++) {
                    ReceiveChannel<String> in = from.clone();
                    SendChannel<String> report = to.clone();
                    scope.fork("worker-" + w, () -> {
                        try (in; report) {
                            for (String city : in) { // ends when the producer closed and the queue is drained
                                report.send(lookups.run(() -> {
                                    mostBusy.accumulateAndGet(busy.incrementAndGet(), Math::max);
                                    try {
                                        return lookup(city, Duration.ofMillis(40)) + " (" + Thread.currentThread().getName() + ")";
                                    } finally {
                                        busy.decrementAndGet();
                                    }
                                }));
                            }
                        }
                        return null;
                    });
                }
            } // the workers hold their own clones now
            try (ReceiveChannel<String> collector = reports.receiver()) {
                return collector.stream().sorted().toList(); // the collector: ends when every worker closed
            }
        });
        collected.forEach(r -> out.println("  " + r));
        out.println("reports: " + collected.size() + " of " + cities.size()
                + "; most lookups at once: " + mostBusy.get() + " (limit " + lookups.totalTokens() + ")");
        out.println("channels after: " + queued.statistics() + ", " + reports.statistics());
    }

    /** Runs a lookup; if it is cancelled, notes why (from the task's own point of view) and lets it propagate. */
    private static String remember(Map<String, CancelReason> reasons, Lookup lookup) throws Exception {
        try {
            return lookup.call();
        } catch (InterruptedException | Cancelled e) {
            Weft.cancelReason().ifPresent(r -> reasons.put(Thread.currentThread().getName(), r));
            throw e;
        }
    }

    @FunctionalInterface
    private interface Lookup {
        String call() throws Exception;
    }

    private FanOutUnderDeadline() {}
}
