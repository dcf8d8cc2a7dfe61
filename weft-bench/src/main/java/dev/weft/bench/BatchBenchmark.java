package dev.weft.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongFunction;

import org.dataloader.BatchLoader;
import org.dataloader.DataLoader;
import org.dataloader.DataLoaderFactory;
import org.dataloader.DataLoaderRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import dev.weft.batch.BatchFunction;
import dev.weft.batch.DispatchReason;
import dev.weft.batch.Loader;
import dev.weft.Scope;
import dev.weft.Task;

/**
 * The cost of automatic batching (issue 4): Weft's {@link Loader}, which sends a batch when every
 * task of the scope waits, beside java-dataloader 6.0.0, which sends it when the caller calls
 * {@code dispatch()}, and beside calling the batch function directly.
 *
 * <h2>Methods</h2>
 * <ul>
 *   <li>{@link #weftLoadAll100()}: one caller, {@code loadAll} of 100 distinct keys, in a scope
 *       (outside any scope a load waits for the delay window, by design: B1);</li>
 *   <li>{@link #weftLoad100()}: 100 tasks in a scope, each {@code load}s one key: one batch;</li>
 *   <li>{@link #weftFork100()}: the same 100 tasks doing nothing: the cost of the tasks alone, so
 *       {@code weftLoad100 - weftFork100} is what batching adds;</li>
 *   <li>{@link #dataLoaderLoad100()}: a new DataLoader (one per request, as its docs advise), 100
 *       {@code load} calls, {@code dispatchAndJoin()};</li>
 *   <li>{@link #directBatchCall100()}: the batch function called once with the 100 keys: the floor;</li>
 *   <li>{@link #weftTree()} / {@link #dataLoaderTree()}: users, their posts, each post's comments,
 *       each comment's author (10 users, 30 posts, 90 comments, 20 distinct authors). Weft: a task
 *       per node in nested scopes, no dispatch; DataLoader: chained futures and
 *       {@code dispatchAll()} until the tree is done. Both must send 4 batches per operation;
 *       {@link #checkBatchCounts()} fails the run if either sends another number.</li>
 * </ul>
 * Every batch function returns at once (an in-memory map), so the figures are the batching
 * machinery alone. Targets and figures: {@code docs/BENCHMARKS.md}.
 *
 * <pre>java -jar weft-bench/target/benchmarks.jar Batch -prof gc</pre>
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark) // not dev.weft.Scope
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(3)
public class BatchBenchmark {

    static final int KEYS = 100;
    static final int USERS = 10, POSTS_PER_USER = 3, COMMENTS_PER_POST = 3, AUTHORS = 20;
    static final int TREE_BATCHES = 4;
    static final Duration NO_DELAY = Duration.ofSeconds(1);

    private final List<Long> keys = new ArrayList<>(KEYS);
    private final LongAdder treeBatches = new LongAdder();
    private long treeOps;

    private Loader<Long, Long> weftLoader;
    private BatchFunction<Long, Long> batchFunction;
    private final BatchLoader<Long, Long> dataLoaderFunction = ks -> {
        List<Long> out = new ArrayList<>(ks.size());
        for (Long k : ks) out.add(k * 2);
        return CompletableFuture.completedFuture(out);
    };

    private Loader<Long, String> weftUsers, weftAuthors;
    private Loader<Long, List<Long>> weftPosts, weftComments;

    @Setup(Level.Trial)
    public void setUp() {
        for (long k = 0; k < KEYS; k++) keys.add(k);
        batchFunction = ks -> {
            Map<Long, Long> m = new HashMap<>(ks.size() * 2);
            for (Long k : ks) m.put(k, k * 2);
            return m;
        };
        // A delay far longer than any operation: every Weft batch here must go by quiescence
        // (or size), which checkBatchCounts() verifies, so the figures never include a timer.
        weftLoader = Loader.builder(batchFunction).name("bench").maxDelay(NO_DELAY).build();
        weftUsers = Loader.builder(counted(id -> "user-" + id)).name("users").maxDelay(NO_DELAY).build();
        weftPosts = Loader.builder(counted(BatchBenchmark::postsOf)).name("posts").maxDelay(NO_DELAY).build();
        weftComments = Loader.builder(counted(BatchBenchmark::commentsOf)).name("comments").maxDelay(NO_DELAY).build();
        weftAuthors = Loader.builder(counted(id -> "author-" + id)).name("authors").maxDelay(NO_DELAY).build();
    }

    // ------------------------------------------------------------------ 100 keys

    @Benchmark
    public long weftLoadAll100() {
        Map<Long, Long> m = Scope.run(scope -> weftLoader.loadAll(keys));
        long sum = 0;
        for (long v : m.values()) sum += v;
        return sum;
    }

    @Benchmark
    public long weftLoad100() {
        List<Task<Long>> tasks = new ArrayList<>(KEYS);
        Scope.run(scope -> {
            for (Long k : keys) tasks.add(scope.fork(() -> weftLoader.load(k)));
            return null;
        });
        long sum = 0;
        for (Task<Long> t : tasks) sum += t.result();
        return sum;
    }

    @Benchmark
    public long weftFork100() {
        List<Task<Long>> tasks = new ArrayList<>(KEYS);
        Scope.run(scope -> {
            for (Long k : keys) tasks.add(scope.fork(() -> k * 2));
            return null;
        });
        long sum = 0;
        for (Task<Long> t : tasks) sum += t.result();
        return sum;
    }

    @Benchmark
    public long dataLoaderLoad100() {
        DataLoader<Long, Long> loader = DataLoaderFactory.newDataLoader(dataLoaderFunction);
        List<CompletableFuture<Long>> futures = new ArrayList<>(KEYS);
        for (Long k : keys) futures.add(loader.load(k));
        loader.dispatchAndJoin();
        long sum = 0;
        for (CompletableFuture<Long> f : futures) sum += f.join();
        return sum;
    }

    @Benchmark
    public long directBatchCall100() throws Exception {
        Map<Long, Long> m = batchFunction.load(keys);
        long sum = 0;
        for (Long k : keys) sum += m.get(k);
        return sum;
    }

    // ------------------------------------------------------------------ the tree

    static List<Long> postsOf(long user) {
        List<Long> out = new ArrayList<>(POSTS_PER_USER);
        for (int i = 1; i <= POSTS_PER_USER; i++) out.add(user * 10 + i);
        return out;
    }

    static List<Long> commentsOf(long post) {
        List<Long> out = new ArrayList<>(COMMENTS_PER_POST);
        for (int i = 1; i <= COMMENTS_PER_POST; i++) out.add(post * 10 + i);
        return out;
    }

    static long authorOf(long comment) {
        return comment % AUTHORS + 1;
    }

    private <V> BatchFunction<Long, V> counted(LongFunction<V> valueOf) {
        return ks -> {
            treeBatches.increment();
            Map<Long, V> m = new HashMap<>(ks.size() * 2);
            for (Long k : ks) m.put(k, valueOf.apply(k));
            return m;
        };
    }

    private <V> BatchLoader<Long, V> countedDataLoader(LongFunction<V> valueOf) {
        return ks -> {
            treeBatches.increment();
            List<V> out = new ArrayList<>(ks.size());
            for (Long k : ks) out.add(valueOf.apply(k));
            return CompletableFuture.completedFuture(out);
        };
    }

    @Benchmark
    public long weftTree() {
        treeOps++;
        LongAdder rendered = new LongAdder();
        Scope.run(request -> {
            for (long u = 1; u <= USERS; u++) {
                long user = u;
                request.fork(() -> {
                    String name = weftUsers.load(user);
                    List<Long> posts = weftPosts.load(user);
                    return Scope.run(perUser -> {
                        for (long p : posts) {
                            perUser.fork(() -> {
                                List<Long> comments = weftComments.load(p);
                                return Scope.run(perPost -> {
                                    for (long c : comments) {
                                        perPost.fork(() -> {
                                            rendered.add(name.length() + weftAuthors.load(authorOf(c)).length());
                                            return null;
                                        });
                                    }
                                    return null;
                                });
                            });
                        }
                        return null;
                    });
                });
            }
            return null;
        });
        return rendered.sum();
    }

    @Benchmark
    public long dataLoaderTree() {
        treeOps++;
        // Registered loaders are wrapped (for the registry's instrumentation): load through the
        // registry's instances, or dispatchAll() finds nothing to send.
        DataLoaderRegistry registry = new DataLoaderRegistry();
        registry.register("users", DataLoaderFactory.newDataLoader(countedDataLoader(id -> "user-" + id)))
                .register("posts", DataLoaderFactory.newDataLoader(countedDataLoader(BatchBenchmark::postsOf)))
                .register("comments", DataLoaderFactory.newDataLoader(countedDataLoader(BatchBenchmark::commentsOf)))
                .register("authors", DataLoaderFactory.newDataLoader(countedDataLoader(id -> "author-" + id)));
        DataLoader<Long, String> users = registry.getDataLoader("users");
        DataLoader<Long, List<Long>> posts = registry.getDataLoader("posts");
        DataLoader<Long, List<Long>> comments = registry.getDataLoader("comments");
        DataLoader<Long, String> authors = registry.getDataLoader("authors");
        LongAdder rendered = new LongAdder();
        List<CompletableFuture<?>> all = new ArrayList<>(USERS);
        for (long u = 1; u <= USERS; u++) {
            long user = u;
            all.add(users.load(user).thenCompose(name -> posts.load(user).thenCompose(ps -> {
                List<CompletableFuture<?>> perPost = new ArrayList<>(ps.size());
                for (long p : ps) {
                    perPost.add(comments.load(p).thenCompose(cs -> {
                        List<CompletableFuture<?>> perComment = new ArrayList<>(cs.size());
                        for (long c : cs) {
                            perComment.add(authors.load(authorOf(c)).thenAccept(a -> rendered.add(name.length() + a.length())));
                        }
                        return CompletableFuture.allOf(perComment.toArray(CompletableFuture[]::new));
                    }));
                }
                return CompletableFuture.allOf(perPost.toArray(CompletableFuture[]::new));
            })));
        }
        CompletableFuture<Void> done = CompletableFuture.allOf(all.toArray(CompletableFuture[]::new));
        while (!done.isDone()) registry.dispatchAll(); // the manual dispatch Weft does without
        done.join();
        return rendered.sum();
    }

    /**
     * Both tree variants must send exactly one batch per level, 4 per operation, and no Weft
     * batch may have waited for the delay window (it would be a missed quiescence).
     */
    @TearDown(Level.Iteration)
    public void checkBatchCounts() {
        for (Loader<?, ?> l : List.of(weftLoader, weftUsers, weftPosts, weftComments, weftAuthors)) {
            long delayed = l.statistics().batches(DispatchReason.DELAY);
            if (delayed != 0) throw new IllegalStateException("loader '" + l.name() + "' sent " + delayed + " batches by delay, not quiescence");
        }
        long batches = treeBatches.sumThenReset();
        long ops = treeOps;
        treeOps = 0;
        if (batches != TREE_BATCHES * ops) {
            throw new IllegalStateException("the tree sent " + batches + " batches in " + ops + " operations; expected "
                    + TREE_BATCHES + " per operation");
        }
    }
}
