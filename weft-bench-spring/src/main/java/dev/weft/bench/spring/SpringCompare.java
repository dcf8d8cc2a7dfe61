package dev.weft.bench.spring;

import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs {@link StarterRequestBenchmark} and prints its medians and one line per ratio, as
 * weft-bench's {@code Compare} does for issue 12's table (and {@code weft-bench/compare.sh} prints
 * both): the filter's per-request overhead against issue 14's target (at most 1.05x), and the same
 * with one event per request (reported, no target). Arguments: {@code --quick} (1 fork, 2 x 1 s
 * warm-up, 3 x 1 s measured: a smoke check, not a figure to quote), or JMH's {@code -f},
 * {@code -wi}, {@code -i} as numbers ({@code -f 2 -wi 3 -i 5}, the defaults; iterations of 2 s).
 */
public final class SpringCompare {

    /** A ratio: {@code with} over {@code without}, at most {@code max} (0: no target). */
    private record Ratio(String label, String with, String without, double max) {}

    private static final List<Ratio> RATIOS = List.of(
            new Ratio("starter per-request overhead: GET with WeftRequestFilter / without", "pingWithFilter", "pingWithoutFilter", 1.05),
            new Ratio("starter per-request overhead, one event per request: with filter / without", "emitWithFilter", "emitWithoutFilter", 0));

    private SpringCompare() {}

    public static void main(String[] args) throws RunnerException {
        int forks = 2;
        int warmups = 3;
        int iterations = 5;
        int seconds = 2;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> {
                    forks = 1;
                    warmups = 2;
                    iterations = 3;
                    seconds = 1;
                }
                case "-f" -> forks = Integer.parseInt(args[++i]);
                case "-wi" -> warmups = Integer.parseInt(args[++i]);
                case "-i" -> iterations = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument '" + args[i]
                        + "': use --quick, or -f <forks> -wi <warm-up iterations> -i <iterations>");
            }
        }
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include(StarterRequestBenchmark.class.getName() + "\\.")
                .forks(forks).warmupIterations(warmups).measurementIterations(iterations)
                .warmupTime(TimeValue.seconds(seconds)).measurementTime(TimeValue.seconds(seconds)).build()).run();

        Map<String, double[]> scores = new HashMap<>(); // method -> iteration scores, in µs
        for (RunResult r : results) {
            String b = r.getParams().getBenchmark();
            double[] s = r.getBenchmarkResults().stream().flatMap(x -> x.getIterationResults().stream())
                    .mapToDouble(it -> it.getPrimaryResult().getScore()).toArray();
            scores.put(b.substring(b.lastIndexOf('.') + 1), s);
        }
        System.out.println();
        System.out.println("Medians over " + forks + " fork(s) x " + iterations + " iteration(s) of " + seconds + " s, in µs per request (range):");
        scores.keySet().stream().sorted().forEach(n -> {
            double[] s = scores.get(n);
            System.out.printf(Locale.ROOT, "  %-45s %10.2f  (%.2f - %.2f)%n", n, median(s), min(s), max(s));
        });
        System.out.println();
        for (Ratio r : RATIOS) {
            if (!scores.containsKey(r.with) || !scores.containsKey(r.without)) {
                throw new IllegalStateException("no result for " + r.with + " or " + r.without + ": the benchmark failed (JMH's output above says why)");
            }
            double ratio = median(scores.get(r.with)) / median(scores.get(r.without));
            if (r.max > 0) {
                System.out.printf(Locale.ROOT, "%-75s %5.2fx (target <= %.2f) %s%n", r.label, ratio, r.max, ratio <= r.max ? "met" : "MISSED");
            } else {
                System.out.printf(Locale.ROOT, "%-75s %5.2fx (no target)%n", r.label, ratio);
            }
        }
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
