package dev.weft.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NPlusOneQueriesTest {

    @Test
    void theLoaderTurns201QueriesInto4AndPrintsBothCounts() throws Exception {
        var bytes = new ByteArrayOutputStream();
        int[] counts = NPlusOneQueries.run(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        String out = bytes.toString(StandardCharsets.UTF_8);

        // 1 (all users) + 20 (posts of each user) + 60 (comments of each post) + 120 (author of each comment)
        assertThat(counts[0]).isEqualTo(201);
        // 1 (all users) + one IN query per level: posts, comments, authors
        assertThat(counts[1]).isEqualTo(4);
        assertThat(out).contains("queries sent without the loader: 201").contains("queries sent with the loader:    4");
        assertThat(out).contains("the page: 120 comment lines");
        assertThat(out).contains("loader 'posts-by-user': 1 batch of 20 keys, sent by QUIESCENCE x1");
        assertThat(out).contains("loader 'comments-by-post': 1 batch of 60 keys, sent by QUIESCENCE x1");
        assertThat(out).contains("loader 'user-by-id': 1 batch of 20 keys, sent by QUIESCENCE x1");
    }
}
