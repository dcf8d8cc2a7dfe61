package dev.weft.guide;

import dev.weft.Par;
import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.batch.BatchResults;
import dev.weft.batch.DispatchReason;
import dev.weft.batch.LoadFailedException;
import dev.weft.batch.Loader;
import dev.weft.batch.LoaderStatistics;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The snippets of docs/guide/batching.md. */
class BatchingGuideTest extends GuideTest {

    /** A table of users, as a database would answer {@code SELECT ... WHERE id IN (...)}. */
    static Map<Long, String> usersByIds(List<Long> ids) {
        return ids.stream().collect(Collectors.toMap(Function.identity(), id -> "user-" + id));
    }

    record Post(long id, long authorId, String title) {}

    static Map<Long, Post> postsByIds(List<Long> ids) {
        System.out.println("SELECT posts WHERE id IN " + new TreeSet<>(ids));
        return ids.stream().collect(Collectors.toMap(Function.identity(), id -> new Post(id, id % 2 + 1, "post " + id)));
    }

    @Test
    void oneBatchWhenEveryTaskWaits() {
        // tag::loader[]
        Loader<Long, String> users = Loader.builder((List<Long> ids) -> {
                    System.out.println("SELECT users WHERE id IN " + new TreeSet<>(ids));
                    return usersByIds(ids);                       // a Map from each id to its user
                })
                .name("users")
                .maxDelay(Duration.ofSeconds(1))                  // see "How to choose the delay" below
                .build();                                         // build once, share everywhere
        List<String> names = Scope.run(scope -> {
            List<Task<String>> tasks = new ArrayList<>();
            for (long id : List.of(3L, 1L, 2L, 1L)) tasks.add(scope.fork(() -> users.load(id)));
            List<String> result = new ArrayList<>();
            for (Task<String> t : tasks) result.add(t.join());
            return result;
        });
        System.out.println(names);
        // end::loader[]
        assertThat(printed()).containsExactly("SELECT users WHERE id IN [1, 2, 3]", "[user-3, user-1, user-2, user-1]");
        LoaderStatistics stats = users.statistics();
        assertThat(stats.batches()).isEqualTo(1);
        assertThat(stats.batches(DispatchReason.QUIESCENCE)).isEqualTo(1);
    }

    @Test
    void oneBatchPerLevel() {
        Loader<Long, Post> posts = Loader.builder(BatchingGuideTest::postsByIds).name("posts")
                .maxDelay(Duration.ofSeconds(1)).build();
        Loader<Long, String> users = Loader.builder((List<Long> ids) -> {
            System.out.println("SELECT users WHERE id IN " + new TreeSet<>(ids));
            return usersByIds(ids);
        }).name("users").maxDelay(Duration.ofSeconds(1)).build();
        // tag::levels[]
        List<String> lines = Scope.run(scope -> Par.map(List.of(10L, 11L, 12L, 13L), 100, postId -> {
            Post post = posts.load(postId);                // level 1: every post in one batch
            String author = users.load(post.authorId());   // level 2: every author in one batch
            return post.title() + " by " + author;
        }));
        // end::levels[]
        assertThat(printed()).containsExactly("SELECT posts WHERE id IN [10, 11, 12, 13]", "SELECT users WHERE id IN [1, 2]");
        assertThat(posts.statistics().batches(DispatchReason.QUIESCENCE)).isEqualTo(1);
        assertThat(users.statistics().batches(DispatchReason.QUIESCENCE)).isEqualTo(1);
        assertThat(lines).containsExactly("post 10 by user-1", "post 11 by user-2", "post 12 by user-1", "post 13 by user-2");
    }

    @Test
    void aLoadOutsideAnyScopeGoesAfterTheDelay() {
        // tag::configure[]
        Loader<Long, String> users = Loader.builder(BatchingGuideTest::usersByIds)
                .name("users")
                .maxBatchSize(500)                    // at most 500 ids in one IN (...)
                .maxDelay(Duration.ofMillis(20))      // longer than a level's gaps between loads
                .build();
        // end::configure[]
        // tag::statistics[]
        String user = users.load(7L);                 // outside any scope: sent when the delay passed
        LoaderStatistics stats = users.statistics();
        System.out.println(user + ": " + stats.batches() + " batch, " + stats.batches(DispatchReason.DELAY) + " by delay");
        // end::statistics[]
        assertThat(printed()).containsExactly("user-7: 1 batch, 1 by delay");
    }

    @Test
    void eachKeyGetsItsOwnOutcome() {
        // tag::per-key[]
        Loader<String, Integer> stock = Loader.builderPerKey((List<String> skus, BatchResults<String, Integer> results) -> {
            for (String sku : skus) {
                if (sku.startsWith("SKU-")) results.succeed(sku, 7);
                else results.fail(sku, new IllegalArgumentException("no such product: " + sku));
            }
        }).name("stock").maxDelay(Duration.ofSeconds(1)).build();
        Map<String, String> shown = new ConcurrentSkipListMap<>();   // sorted, for printing
        Scope.run(scope -> {
            for (String sku : List.of("SKU-1", "banana")) {
                scope.fork(() -> {
                    try {
                        shown.put(sku, stock.load(sku) + " in stock");
                    } catch (LoadFailedException e) {
                        shown.put(sku, e.getCause().getMessage());   // this key failed, the others did not
                    }
                    return null;
                });
            }
            return null;
        });
        System.out.println(shown);
        // end::per-key[]
        assertThat(printed()).containsExactly("{SKU-1=7 in stock, banana=no such product: banana}");
        assertThat(stock.statistics().batches()).as(stock.statistics().toString()).isEqualTo(1);
        assertThat(stock.statistics().batches(DispatchReason.QUIESCENCE)).isEqualTo(1);
    }
}
