package dev.weft;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.jetbrains.kotlinx.lincheck.Actor;
import org.jetbrains.kotlinx.lincheck.execution.ExecutionScenario;
import org.jetbrains.lincheck.datastructures.StressOptions;

/**
 * Hand-written Lincheck scenarios for operations that block, built from Java.
 *
 * <p>Lincheck generates random scenarios only from {@code @Operation} methods, and a random
 * scenario may leave a blocking call waiting forever (a receive with no sender), which Lincheck
 * reports as a hang. So blocking operations are not {@code @Operation}s: each test lists a few
 * scenarios in which every blocking call is sure to complete in every interleaving, and the model
 * checker explores those interleavings. Lincheck's scenario DSL takes Kotlin function references;
 * from Java the scenario is built directly from {@link Method}s.
 */
public final class LincheckSupport {
    private LincheckSupport() {}

    /** One call: a public method of {@code testClass} and its arguments. */
    public record Call(String method, Object... args) {}

    /** Lincheck's stress mode: random scenarios of 3 threads x 3 operations, run for real (10 x 200). */
    public static void stress(Class<?> testClass, Class<?> sequentialSpecification) {
        new StressOptions()
                .iterations(10)
                .invocationsPerIteration(200)
                .threads(3)
                .actorsPerThread(3)
                .sequentialSpecification(sequentialSpecification)
                .check(testClass);
    }

    public static Call call(String method, Object... args) {
        return new Call(method, args);
    }

    /** A scenario: {@code init} runs first on one thread, then each of {@code threads} in parallel, then {@code post}. */
    public static ExecutionScenario scenario(Class<?> testClass, List<Call> init, List<List<Call>> threads, List<Call> post) {
        List<List<Actor>> parallel = new ArrayList<>();
        for (List<Call> t : threads) parallel.add(actors(testClass, t));
        return new ExecutionScenario(actors(testClass, init), parallel, actors(testClass, post), null);
    }

    private static List<Actor> actors(Class<?> testClass, List<Call> calls) {
        List<Actor> out = new ArrayList<>();
        for (Call c : calls) {
            Method m = Arrays.stream(testClass.getMethods())
                    .filter(x -> x.getName().equals(c.method()) && x.getParameterCount() == c.args().length)
                    .findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no public method " + c.method() + " in " + testClass));
            out.add(new Actor(m, List.of(c.args())));
        }
        return out;
    }
}
