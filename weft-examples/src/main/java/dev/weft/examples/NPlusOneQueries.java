package dev.weft.examples;

import dev.weft.batch.Loader;
import dev.weft.batch.LoaderStatistics;
import dev.weft.Scope;
import dev.weft.Task;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The N+1 query problem on a real embedded SQL database (H2), and Weft's {@link Loader} solving
 * it without a single {@code dispatch()} call.
 *
 * <p>A blog: 20 users, 3 posts each, 2 comments per post, each comment written by some user.
 * The page shows every user, their posts, each post's comments and each comment's author.
 * Written the obvious way (one query per thing), that is 1 + 20 + 60 + 120 = 201 queries. With
 * loaders, the code still reads one thing at a time, in a task per thing, and Weft sends one
 * {@code WHERE ... IN (...)} query per level: 4 queries.
 *
 * <pre>./dev mvn -B -q -pl weft-examples -am install -DskipTests exec:java -Dexec.mainClass=dev.weft.examples.NPlusOneQueries</pre>
 */
public final class NPlusOneQueries {

    static final int USERS = 20, POSTS_PER_USER = 3, COMMENTS_PER_POST = 2;
    /**
     * The loaders' delay window. Each level forks dozens of tasks, and until each has loaded its
     * key it is runnable, so the batch waits for it; on a busy machine that can take longer than
     * the 5 ms default, which would split a level by DELAY. Quiescence still sends each level the
     * moment it is complete, so this is a bound, not a wait (see Loader.Builder#maxDelay, "What to
     * choose").
     */
    static final Duration WINDOW = Duration.ofSeconds(1);

    private final String url;
    private final AtomicInteger queries = new AtomicInteger();

    NPlusOneQueries(String url) {
        this.url = url;
    }

    public static void main(String[] args) throws Exception {
        run(System.out);
    }

    /** Runs both versions on a fresh database; returns {queries without, queries with the loader}. */
    static int[] run(PrintStream out) throws Exception {
        NPlusOneQueries blog = new NPlusOneQueries("jdbc:h2:mem:blog-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1");
        blog.createAndFill();

        blog.queries.set(0);
        List<String> naive = blog.pageOneQueryAtATime();
        int without = blog.queries.get();

        blog.queries.set(0);
        Loaders loaders = blog.new Loaders();
        List<String> batched = blog.pageWithLoaders(loaders);
        int with = blog.queries.get();

        if (!new TreeSet<>(naive).equals(new TreeSet<>(batched))) {
            throw new IllegalStateException("the two versions rendered different pages");
        }
        out.println("the page: " + naive.size() + " comment lines, e.g. " + naive.get(0));
        out.println("queries sent without the loader: " + without);
        out.println("queries sent with the loader:    " + with);
        for (Loader<?, ?> l : List.of(loaders.postsByUser, loaders.commentsByPost, loaders.userById)) {
            LoaderStatistics s = l.statistics();
            out.println("  loader '" + s.loader() + "': " + s.batches() + " batch of " + s.keys() + " keys, sent by " + reasons(s));
        }
        return new int[] {without, with};
    }

    private static String reasons(LoaderStatistics s) {
        List<String> r = new ArrayList<>();
        s.batchesByReason().forEach((reason, n) -> {
            if (n > 0) r.add(reason + " x" + n);
        });
        return String.join(", ", r);
    }

    // ------------------------------------------------------------------ the N+1 way

    List<String> pageOneQueryAtATime() throws SQLException {
        List<String> lines = new ArrayList<>();
        try (Connection c = connect()) {
            for (User u : allUsers(c)) {
                for (Post p : query(c, "SELECT id, user_id, title FROM posts WHERE user_id = ?", u.id(), NPlusOneQueries::post)) {
                    for (Comment cm : query(c, "SELECT id, post_id, author_id, body FROM comments WHERE post_id = ?", p.id(), NPlusOneQueries::comment)) {
                        User author = query(c, "SELECT id, name FROM users WHERE id = ?", cm.authorId(), NPlusOneQueries::user).get(0);
                        lines.add(line(u, p, cm, author));
                    }
                }
            }
        }
        return lines;
    }

    // ------------------------------------------------------------------ the same page, with loaders

    /**
     * Built once, shared by every request; each request's scope has its own cache. The delay
     * window is only the fallback for a request with a thread busy outside Weft; here every
     * batch goes when all tasks wait (QUIESCENCE), and the wide window keeps a cold JVM on a busy
     * machine, slow to reach that point, from sending a level in pieces.
     */
    final class Loaders {
        final Loader<Long, List<Post>> postsByUser = Loader.builder((List<Long> ids) -> {
            Map<Long, List<Post>> byUser = new HashMap<>();
            for (long id : ids) byUser.put(id, new ArrayList<>());
            for (Post p : queryIn("SELECT id, user_id, title FROM posts WHERE user_id IN ", ids, NPlusOneQueries::post)) {
                byUser.get(p.userId()).add(p);
            }
            return byUser;
        }).name("posts-by-user").maxDelay(WINDOW).build();

        final Loader<Long, List<Comment>> commentsByPost = Loader.builder((List<Long> ids) -> {
            Map<Long, List<Comment>> byPost = new HashMap<>();
            for (long id : ids) byPost.put(id, new ArrayList<>());
            for (Comment c : queryIn("SELECT id, post_id, author_id, body FROM comments WHERE post_id IN ", ids, NPlusOneQueries::comment)) {
                byPost.get(c.postId()).add(c);
            }
            return byPost;
        }).name("comments-by-post").maxDelay(WINDOW).build();

        final Loader<Long, User> userById = Loader.builder((List<Long> ids) -> {
            Map<Long, User> byId = new HashMap<>();
            for (User u : queryIn("SELECT id, name FROM users WHERE id IN ", ids, NPlusOneQueries::user)) byId.put(u.id(), u);
            return byId;
        }).name("user-by-id").maxDelay(WINDOW).build();
    }

    List<String> pageWithLoaders(Loaders loaders) throws Exception {
        List<User> users;
        try (Connection c = connect()) {
            users = allUsers(c);
        }
        return Scope.run(request -> {
            List<Task<List<String>>> perUser = new ArrayList<>();
            for (User u : users) {
                perUser.add(request.fork(() -> Scope.run(userScope -> {
                    List<Task<List<String>>> perPost = new ArrayList<>();
                    for (Post p : loaders.postsByUser.load(u.id())) {
                        perPost.add(userScope.fork(() -> Scope.run(postScope -> {
                            List<Task<String>> perComment = new ArrayList<>();
                            for (Comment cm : loaders.commentsByPost.load(p.id())) {
                                perComment.add(postScope.fork(() -> line(u, p, cm, loaders.userById.load(cm.authorId()))));
                            }
                            List<String> lines = new ArrayList<>();
                            for (Task<String> t : perComment) lines.add(t.join());
                            return lines;
                        })));
                    }
                    List<String> lines = new ArrayList<>();
                    for (Task<List<String>> t : perPost) lines.addAll(t.join());
                    return lines;
                })));
            }
            List<String> lines = new ArrayList<>();
            for (Task<List<String>> t : perUser) lines.addAll(t.join());
            return lines;
        });
    }

    // ------------------------------------------------------------------ the database

    record User(long id, String name) {}

    record Post(long id, long userId, String title) {}

    record Comment(long id, long postId, long authorId, String body) {}

    private static String line(User u, Post p, Comment c, User author) {
        return u.name() + " / " + p.title() + " / \"" + c.body() + "\" by " + author.name();
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection(url, "sa", "");
    }

    void createAndFill() throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE users (id BIGINT PRIMARY KEY, name VARCHAR(50))");
            s.execute("CREATE TABLE posts (id BIGINT PRIMARY KEY, user_id BIGINT REFERENCES users(id), title VARCHAR(100))");
            s.execute("CREATE TABLE comments (id BIGINT PRIMARY KEY, post_id BIGINT REFERENCES posts(id), author_id BIGINT REFERENCES users(id), body VARCHAR(200))");
            long post = 0, comment = 0;
            for (long u = 1; u <= USERS; u++) s.execute("INSERT INTO users VALUES (" + u + ", 'user" + u + "')");
            for (long u = 1; u <= USERS; u++) {
                for (int i = 0; i < POSTS_PER_USER; i++) {
                    post++;
                    s.execute("INSERT INTO posts VALUES (" + post + ", " + u + ", 'post" + post + "')");
                    for (int j = 0; j < COMMENTS_PER_POST; j++) {
                        comment++;
                        long author = (comment * 7) % USERS + 1;
                        s.execute("INSERT INTO comments VALUES (" + comment + ", " + post + ", " + author + ", 'comment" + comment + "')");
                    }
                }
            }
        }
    }

    private List<User> allUsers(Connection c) throws SQLException {
        queries.incrementAndGet();
        List<User> out = new ArrayList<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id, name FROM users ORDER BY id")) {
            while (rs.next()) out.add(user(rs));
        }
        return out;
    }

    private interface Row<T> {
        T read(ResultSet rs) throws SQLException;
    }

    private <T> List<T> query(Connection c, String sql, long param, Row<T> row) throws SQLException {
        queries.incrementAndGet();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, param);
            return rows(ps, row);
        }
    }

    /** One query for many ids: {@code sql} ends with "IN ", the placeholders are added here. */
    private <T> List<T> queryIn(String sql, List<Long> ids, Row<T> row) throws SQLException {
        queries.incrementAndGet();
        String marks = String.join(", ", java.util.Collections.nCopies(ids.size(), "?"));
        try (Connection c = connect(); PreparedStatement ps = c.prepareStatement(sql + "(" + marks + ")")) {
            for (int i = 0; i < ids.size(); i++) ps.setLong(i + 1, ids.get(i));
            return rows(ps, row);
        }
    }

    private static <T> List<T> rows(PreparedStatement ps, Row<T> row) throws SQLException {
        List<T> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) out.add(row.read(rs));
        }
        return out;
    }

    private static User user(ResultSet rs) throws SQLException {
        return new User(rs.getLong("id"), rs.getString("name"));
    }

    private static Post post(ResultSet rs) throws SQLException {
        return new Post(rs.getLong("id"), rs.getLong("user_id"), rs.getString("title"));
    }

    private static Comment comment(ResultSet rs) throws SQLException {
        return new Comment(rs.getLong("id"), rs.getLong("post_id"), rs.getLong("author_id"), rs.getString("body"));
    }
}
