package dev.weft.examples;

import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.ExceptionGroup;
import dev.weft.MoveOnResult;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.Weft;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The README's example: fans out slow lookups under a deadline, then shows a failure cancelling
 * its siblings, and prints the exception group and every cancellation reason.
 *
 * <p>Run it with {@code ./dev example}. Needs nothing but a JDK 21+.
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
        out.println("every task finished before its scope returned; exiting normally.");
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
