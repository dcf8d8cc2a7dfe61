package dev.weft;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import kotlin.Unit;
import org.pastalab.fray.core.TestRunner;
import org.pastalab.fray.core.command.Configuration;
import org.pastalab.fray.core.command.ExecutionInfo;
import org.pastalab.fray.core.command.LambdaExecutor;
import org.pastalab.fray.core.command.NetworkDelegateType;
import org.pastalab.fray.core.command.SystemTimeDelegateType;
import org.pastalab.fray.core.randomness.ControlledRandom;
import org.pastalab.fray.core.randomness.Randomness;
import org.pastalab.fray.core.scheduler.POSScheduler;

/**
 * Runs a scenario (a small program that opens scopes, forks, joins, cancels, loads) under Fray,
 * which explores its interleavings: see ADR 0025 and docs/TESTING.md.
 *
 * <p>Fray runs in this JVM (surefire starts it on a JDK that Fray instrumented, with Fray's agents):
 * every thread the scenario starts is held at each synchronization point (a volatile or atomic
 * access, a lock, a monitor, a park, an interrupt, a thread's start and end) until Fray's scheduler
 * picks it to go on, so exactly one thread runs at a time and the order is Fray's choice. Each
 * iteration runs the scenario once under a new schedule of Fray's POS scheduler (partial order
 * sampling: random priorities, re-drawn for the threads whose next step races with the step just
 * taken). Its random choices come from {@link #seed(String)}, so a run is repeatable: the same code
 * fails at the same iteration every time, and one iteration can be run alone ({@link #REPLAY}).
 *
 * <p>Fray cannot drive virtual threads (a one-task scope on virtual threads took 150 s for four
 * iterations and ended in a false deadlock report; Fray issue #166), so while a scenario runs,
 * {@link Scope#taskThreads} makes platform threads ({@link TaskThreads}): the thread a task or a
 * batch runs on changes, nothing of what Weft does on it.
 *
 * <p>A scenario throws (an {@link AssertionError}, or what the code under test threw) when the
 * contract does not hold; that fails the iteration and ends the exploration. Checks whose outcome
 * depends on the operating system rather than on the schedule go through {@link #checkAfterwards}.
 */
final class FraySupport {
    private FraySupport() {}

    private static final boolean CI = "true".equals(System.getenv("CI"));
    /** {@code -Dweft.fray.seed=N}: explore with other random choices than the test's own. */
    static final String SEED = "weft.fray.seed";
    /** {@code -Dweft.fray.replay=I}: run only iteration I (of the seed in use), e.g. the one a failure names. */
    static final String REPLAY = "weft.fray.replay";
    /** {@code -Dweft.fray.iterations=N}: explore N iterations instead of the test's own number. */
    static final String ITERATIONS = "weft.fray.iterations";

    /** How many iterations to explore: {@code local} on a developer's machine, {@code ci} with {@code CI=true}. */
    static int iterations(int local, int ci) {
        return Integer.getInteger(ITERATIONS, CI ? ci : local);
    }

    /**
     * The base seed of a scenario: {@code -Dweft.fray.seed=N}; {@code -Dweft.fray.seed=random} for a
     * fresh one (printed, to explore schedules the fixed seeds do not); else one fixed per scenario,
     * so that every run, in CI too, explores the same schedules and a failure always reproduces.
     */
    static long seed(String scenario) {
        String s = System.getProperty(SEED);
        if (s == null) return scenario.hashCode();
        if (s.equals("random")) return RANDOM_SEEDS.nextLong();
        return Long.parseLong(s);
    }

    private static final Random RANDOM_SEEDS = new Random();

    /**
     * Explores {@code iterations} schedules of {@code scenario} under Fray; fails with the first
     * failing iteration, the seed and how to run that iteration alone.
     */
    static void explore(String scenario, int iterations, Runnable body) {
        requireFray();
        long seed = seed(scenario);
        Integer replay = Integer.getInteger(REPLAY);
        int first = replay != null ? replay : 0;
        int count = replay != null ? 1 : iterations;
        Path report = Path.of(System.getProperty("fray.workDir", "target/fray-report"))
                .resolve(scenario.replaceAll("[^A-Za-z0-9]+", "-"));

        AtomicInteger ran = new AtomicInteger();
        ThreadFactory previous = Scope.taskThreads;
        Scope.taskThreads = TaskThreads.INSTANCE;
        synchronized (OS_DEPENDENT) {
            OS_DEPENDENT.clear();
        }
        long t0 = System.nanoTime();
        Configuration config = new Configuration(
                new ExecutionInfo(new LambdaExecutor(() -> {
                    ran.incrementAndGet();
                    TaskThreads.INSTANCE.reset();
                    body.run();
                    return Unit.INSTANCE;
                }), false, false, -1),
                report,
                count,
                3600, // Fray's own time limit (s); the test's @Timeout comes first
                new POSScheduler(randomness(seed, first)),
                new SeededRandomness(seed, first),
                false, false,
                true, // never System.exit when a bug is found: report it to JUnit
                false, false, false,
                NetworkDelegateType.NONE, SystemTimeDelegateType.NONE, 100_000L,
                true, false,
                false, // one class loader: Weft's statics (id counters, the CPU pool) hold no scenario state
                false, false, false,
                null); // no timeline coverage: it only guides other schedulers
        // Fray reports its progress on System.out with terminal escape codes, many times a run:
        // that goes to a file beside its log, so the build's output keeps one line per scenario.
        Throwable failure;
        PrintStream out = System.out;
        try (PrintStream progress = new PrintStream(Files.newOutputStream(report.resolve("progress.txt")), true)) {
            System.setOut(progress);
            failure = new TestRunner(config).run();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            System.setOut(out);
            Scope.taskThreads = previous;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (failure != null) {
            int at = first + config.getCurrentIteration();
            throw new AssertionError(scenario + ": failed in iteration " + at + " (0-based"
                    + (replay != null ? ", run alone" : ", of " + iterations) + "), seed " + seed + ", after " + ms
                    + " ms. Run that schedule alone with -D" + SEED + "=" + seed + " -D" + REPLAY + "=" + at
                    + "; Fray's log and recording: " + report + ". The failure: " + failure, failure);
        }
        System.out.println("[fray] " + scenario + ": " + ran.get() + " iterations (seed " + seed + "), no failure, "
                + ms + " ms");
        if (ran.get() < count) {
            throw new AssertionError(scenario + ": Fray ran " + ran.get() + " of " + count + " iterations (its time limit?),"
                    + " so the scenario was not explored as asked");
        }
        synchronized (OS_DEPENDENT) {
            if (!OS_DEPENDENT.isEmpty()) {
                throw new AssertionError(scenario + ": in schedules that kept every other check: " + OS_DEPENDENT);
            }
        }
    }

    /**
     * Fails unless this JVM runs on the JDK Fray instrumented (its {@code release} file names Fray
     * as the implementor, as Fray's own JUnit extension checks): elsewhere Fray's runner would run
     * the scenario with nobody controlling the threads, and every test would pass for nothing.
     */
    private static void requireFray() {
        Path release = Path.of(System.getProperty("java.home"), "release");
        boolean fray;
        try {
            fray = Files.readAllLines(release).stream().anyMatch(l -> l.contains("IMPLEMENTOR=Fray"));
        } catch (IOException e) {
            fray = false;
        }
        if (!fray) {
            throw new AssertionError("these tests must run on the JDK Fray instrumented, with its agents, as Maven runs them"
                    + " (./dev mvn -B -pl weft-core,weft-core-interleavings test, see docs/TESTING.md); this JVM runs "
                    + System.getProperty("java.home"));
        }
    }

    /** The random choices of iteration {@code i}: a stream of its own, so any iteration can be run alone. */
    private static Randomness randomness(long seed, int i) {
        return new ControlledRandom(new ArrayList<>(), new ArrayList<>(), new Random(seed * 1_000_003L + i));
    }

    /** Gives Fray the randomness of iterations {@code first + 1}, {@code first + 2}, ... in turn. */
    private static final class SeededRandomness implements org.pastalab.fray.core.randomness.RandomnessProvider {
        private final long seed;
        private int next;

        SeededRandomness(long seed, int first) {
            this.seed = seed;
            this.next = first + 1;
        }

        @Override
        public Randomness getRandomness() {
            return randomness(seed, next++);
        }
    }

    // ---------------------------------------------------------------- checks

    static void check(boolean ok, Supplier<String> what) {
        if (!ok) throw new AssertionError(what.get());
    }

    private static final List<String> OS_DEPENDENT = new ArrayList<>();

    /**
     * A check whose outcome depends on the operating system rather than on the schedule:
     * {@code isAlive()} of a thread whose work has returned (the thread ends for real a moment
     * later, outside Fray's control). Recorded, and failed on once the exploration is over, so
     * that the failures that name an iteration are the ones that replay.
     */
    static void checkAfterwards(boolean ok, Supplier<String> what) {
        if (ok) return;
        synchronized (OS_DEPENDENT) {
            if (OS_DEPENDENT.size() < 5) OS_DEPENDENT.add(what.get());
        }
    }

    // ---------------------------------------------------------------- the threads tasks run on

    /**
     * The platform threads tasks and batches run on while a scenario is explored, and whether the
     * work Weft gave each one has returned. Reset at the start of every iteration.
     */
    static final class TaskThreads implements ThreadFactory {
        static final TaskThreads INSTANCE = new TaskThreads();

        private final ThreadFactory platform = Thread.ofPlatform().daemon(true).factory();
        private final List<Started> started = new ArrayList<>(); // guarded by this
        /**
         * Touched by each thread after its work returned and before that is recorded: an atomic
         * access, so a point where Fray may run another thread, as the operating system may while a
         * thread is on its way out (its work done, the thread not ended yet).
         */
        private static final AtomicInteger EXITS = new AtomicInteger();

        /** One thread made for Weft, and whether its work has returned. */
        static final class Started {
            final Thread thread;
            volatile boolean workReturned;

            Started(Thread thread) {
                this.thread = thread;
            }

            @Override
            public String toString() {
                return "'" + thread.getName() + "'" + (workReturned ? "" : " (its work has not returned)");
            }
        }

        @Override
        public Thread newThread(Runnable work) {
            Started[] self = new Started[1];
            Thread t = platform.newThread(() -> {
                try {
                    work.run();
                } finally {
                    EXITS.incrementAndGet();
                    self[0].workReturned = true;
                }
            });
            self[0] = new Started(t);
            synchronized (this) {
                started.add(self[0]);
            }
            return t;
        }

        synchronized void reset() {
            started.clear();
        }

        /** The threads made since the iteration began, in the order made. */
        synchronized List<Started> all() {
            return List.copyOf(started);
        }
    }
}
