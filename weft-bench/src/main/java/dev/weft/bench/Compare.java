package dev.weft.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Every JMH comparison of issue 12's table (and issue 14's metrics overhead) in one run, one line per target with its ratio and
 * whether it is met (issue 12, item 6). Run by {@code weft-bench/compare.sh}; the Redis targets are
 * {@code redis-bench.sh}'s, which needs a server and is run by the script after this.
 *
 * <p>Each figure is the median of the iteration scores over every fork (the machines are noisy: a
 * median and a range say more than a mean), and each ratio is Weft's time over the peer's, so
 * lower is better and the target is a ceiling. Arguments: {@code --quick} (1 fork, 2 x 1 s warm-up,
 * 3 x 1 s measured: a smoke check, not a figure to quote), or JMH's {@code -f}, {@code -wi},
 * {@code -i} as numbers ({@code -f 2 -wi 3 -i 5}, the defaults).
 */
public final class Compare {

    /** A target: Weft's time ({@code weft} minus {@code minus}, if given) over the peer's, at most {@code max}. */
    private record Target(String label, String weft, String minus, String peer, double max) {}

    private static final List<Target> TARGETS = List.of(
            new Target("batching: loadAll of 100 keys / java-dataloader", "BatchBenchmark.weftLoadAll100", null, "BatchBenchmark.dataLoaderLoad100", 1.0),
            new Target("batching: cost of 100 tasks' loads (load100 - fork100) / java-dataloader", "BatchBenchmark.weftLoad100", "BatchBenchmark.weftFork100", "BatchBenchmark.dataLoaderLoad100", 1.0),
            new Target("batching: 4-level tree / java-dataloader", "BatchBenchmark.weftTree", null, "BatchBenchmark.dataLoaderTree", 1.0),
            new Target("batching with a real query (H2, 100 keys): 100 tasks' loads / java-dataloader", "BatchIoBenchmark.weftLoad100", null, "BatchIoBenchmark.dataLoaderLoad100", 1.0),
            new Target("fan-out of 1,000 / raw virtual threads", "FanOutBenchmark.weft", null, "FanOutBenchmark.virtualThreads", 1.3),
            new Target("fan-out of 1,000 / StructuredTaskScope (JDK 25 preview)", "FanOutBenchmark.weft", null, "FanOutPreviewBenchmark.structuredTaskScope", 1.0),
            new Target("rendezvous channel / SynchronousQueue", "ChannelBenchmark.weftRendezvous", null, "ChannelBenchmark.synchronousQueue", 1.0),
            new Target("metrics overhead (issue 14): fan-out of 1,000 with meters / without", "MetricsOverheadBenchmark.fanOutMeters", null, "MetricsOverheadBenchmark.fanOutPlain", 1.1),
            new Target("metrics overhead (issue 14): sync emit to 4 handlers with meters / without", "MetricsOverheadBenchmark.busMeters", null, "MetricsOverheadBenchmark.busPlain", 1.1),
            new Target("metrics overhead (issue 14): the same, busHandlerTimer(false) / without", "MetricsOverheadBenchmark.busMetersWithoutHandlerTimer", null, "MetricsOverheadBenchmark.busPlain", 1.1));

    private Compare() {}

    public static void main(String[] args) throws RunnerException {
        int forks = 2;
        int warmups = 3;
        int iterations = 5;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> {
                    forks = 1;
                    warmups = 2;
                    iterations = 3;
                }
                case "-f" -> forks = Integer.parseInt(args[++i]);
                case "-wi" -> warmups = Integer.parseInt(args[++i]);
                case "-i" -> iterations = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "': use --quick, or -f <forks> -wi <warm-up iterations> -i <iterations>");
            }
        }
        boolean preview = hasPreviewPeer();
        List<String> names = new ArrayList<>();
        for (Target t : TARGETS) {
            if (!preview && t.peer.startsWith("FanOutPreview")) continue;
            for (String n : Arrays.asList(t.weft, t.minus, t.peer)) if (n != null && !names.contains(n)) names.add(n);
        }
        ChainedOptionsBuilder options = new OptionsBuilder()
                .forks(forks).warmupIterations(warmups).measurementIterations(iterations)
                .warmupTime(TimeValue.seconds(1)).measurementTime(TimeValue.seconds(1));
        for (String n : names) options.include("\\." + Pattern.quote(n) + "$");
        Collection<RunResult> results = new Runner(options.build()).run();

        Map<String, double[]> scores = new HashMap<>(); // benchmark -> iteration scores, in µs
        for (RunResult r : results) {
            BenchmarkParams p = r.getParams();
            String name = shortName(p.getBenchmark());
            double toMicros = toMicros(p.getTimeUnit().name());
            double[] s = r.getBenchmarkResults().stream()
                    .flatMap(b -> b.getIterationResults().stream())
                    .mapToDouble(it -> it.getPrimaryResult().getScore()).map(v -> v * toMicros).toArray();
            scores.put(name, s);
        }
        System.out.println();
        System.out.println("Medians over " + forks + " fork(s) x " + iterations + " iteration(s) of 1 s, in µs/op (range):");
        for (String n : names) {
            double[] s = scores.get(n);
            if (s != null) System.out.printf(Locale.ROOT, "  %-45s %10.2f  (%.2f - %.2f)%n", n, median(s), min(s), max(s));
        }
        System.out.println();
        for (Target t : TARGETS) {
            if (!preview && t.peer.startsWith("FanOutPreview")) {
                System.out.printf(Locale.ROOT, "%-75s   n/a  (needs JDK 25 and weft-bench-preview's jar)%n", t.label);
                continue;
            }
            double weft = median(scores.get(t.weft)) - (t.minus == null ? 0 : median(scores.get(t.minus)));
            double ratio = weft / median(scores.get(t.peer));
            System.out.printf(Locale.ROOT, "%-75s %5.2fx (target <= %.1f) %s%n", t.label, ratio, t.max, ratio <= t.max ? "met" : "MISSED");
        }
    }

    /** The preview peer is in the jar, and this JVM (whose options the forks inherit) runs previews. */
    private static boolean hasPreviewPeer() {
        if (!java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments().contains("--enable-preview")) return false;
        try {
            Class.forName("dev.weft.bench.preview.FanOutPreviewBenchmark", false, Compare.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    private static String shortName(String benchmark) {
        String[] parts = benchmark.split("\\.");
        return parts[parts.length - 2] + "." + parts[parts.length - 1];
    }

    private static double toMicros(String unit) {
        return switch (unit) {
            case "NANOSECONDS" -> 1e-3;
            case "MICROSECONDS" -> 1;
            case "MILLISECONDS" -> 1e3;
            case "SECONDS" -> 1e6;
            default -> throw new IllegalStateException("unexpected time unit " + unit);
        };
    }

    private static double median(double[] s) {
        double[] c = s.clone();
        Arrays.sort(c);
        int n = c.length;
        return n % 2 == 1 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
    }

    private static double min(double[] s) {
        return Arrays.stream(s).min().orElseThrow();
    }

    private static double max(double[] s) {
        return Arrays.stream(s).max().orElseThrow();
    }
}
