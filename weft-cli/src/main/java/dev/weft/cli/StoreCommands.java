package dev.weft.cli;

import dev.weft.events.transport.EncodedDeadLetter;
import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.jdbc.JdbcDeadLetterStore;
import dev.weft.redis.RedisDeadLetterStore;
import dev.weft.events.transport.Transport;
import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.logging.Logger;
import javax.sql.DataSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * {@code weft dead list|replay|purge} on a durable dead-letter store (ADR 0042): a
 * {@link JdbcDeadLetterStore} ({@code --jdbc <url>}) or a {@link RedisDeadLetterStore}
 * ({@code --key <key>}), rather than the stream's own dead letters.
 */
final class StoreCommands {
    private StoreCommands() {}

    /** The options that pick a store and its letters; a mixin of each {@code dead} command. */
    static final class StoreOptions {
        @Option(names = "--jdbc", paramLabel = "<url>", description = "a JDBC dead-letter store: its database's JDBC URL (PostgreSQL or H2), e.g. jdbc:postgresql://db:5432/app?user=app")
        String jdbc;

        @Option(names = "--jdbc-user", paramLabel = "<user>", description = "the database user, if not in the URL; the password comes from $WEFT_JDBC_PASSWORD")
        String jdbcUser;

        @Option(names = "--table", paramLabel = "<table>", defaultValue = "weft_dead_letters", description = "the JDBC store's table (default: ${DEFAULT-VALUE})")
        String table;

        @Option(names = "--key", paramLabel = "<key>", description = "a Redis dead-letter store: its stream's key at --url, e.g. weft:dead-letters")
        String key;

        @Option(names = "--handler", paramLabel = "<handler>", description = "only this handler's letters (a store's): a bus handler's name, worker:<group>, transport:<name>")
        String handler;

        @Option(names = "--id", paramLabel = "<letter>", description = "only this letter (a store's), by its id")
        UUID id;

        /**
         * Whether a store was chosen; refuses options that do not go together.
         *
         * @throws CommandLine.ParameterException for a bad combination (exit code 2)
         */
        boolean chosen(CommandSpec spec, String group) {
            CommandLine cl = spec.commandLine();
            if (jdbc != null && key != null) throw new CommandLine.ParameterException(cl, "--jdbc and --key name two dead-letter stores: give one");
            boolean store = jdbc != null || key != null;
            if (store && group != null) {
                throw new CommandLine.ParameterException(cl, "--group selects the stream's own dead letters; a store's letters are selected by --handler (a worker's: worker:<group>)");
            }
            if (!store && (handler != null || id != null)) {
                throw new CommandLine.ParameterException(cl, "--handler and --id select the letters of a dead-letter store: add --jdbc <url> or --key <key>"
                        + " (the stream's own dead letters are selected by --group)");
            }
            return store;
        }

        /** Opens the chosen store. */
        OpenStore open(WeftCli root) throws SQLException {
            if (key != null) {
                RedisDeadLetterStore s = RedisDeadLetterStore.builder(root.redisUrl()).key(key).build();
                return new OpenStore(s, s::close);
            }
            OneConnection ds = new OneConnection(jdbc, jdbcUser, root.jdbcPassword());
            try {
                return new OpenStore(JdbcDeadLetterStore.builder(ds).table(table).build(), ds::close);
            } catch (SQLException e) {
                ds.close();
                throw new IllegalStateException("cannot reach the database at " + safe(jdbc) + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                ds.close();
                throw e;
            }
        }
    }

    /** A store and what closes it. */
    record OpenStore(EncodedDeadLetterStore store, Runnable closer) implements AutoCloseable {
        @Override
        public void close() {
            closer.run();
        }
    }

    static int list(EncodedDeadLetterStore store, StoreOptions o, int limit, PrintWriter out) {
        if (o.id != null) {
            Optional<EncodedDeadLetter> found = store.find(o.id);
            if (found.isEmpty()) throw new IllegalArgumentException("no dead letter " + o.id + " in " + store.name());
            EncodedDeadLetter l = found.get();
            out.println(line(l));
            out.println("body: " + new String(l.message().body(), StandardCharsets.UTF_8));
            out.println("error:");
            out.println(l.error());
            return 0;
        }
        List<EncodedDeadLetter> letters = store.list(o.handler, limit);
        if (letters.isEmpty()) {
            out.println("no dead letters in " + store.name() + (o.handler != null ? " of handler " + o.handler : ""));
            return 0;
        }
        for (EncodedDeadLetter l : letters) out.println(line(l));
        long total = store.count(o.handler);
        if (total > letters.size()) out.printf("(%d of %d shown: --limit to see more, --id <letter> for one letter's body and whole error)%n", letters.size(), total);
        return 0;
    }

    private static String line(EncodedDeadLetter l) {
        return l.id() + "  " + l.message().name() + " " + l.message().id() + "  handler " + l.handler() + ", " + l.attempts()
                + (l.attempts() == 1 ? " try" : " tries") + ", " + l.time() + ": " + l.errorSummary();
    }

    /** Whether a stream replay reaches the letter's handler: a worker's and a bus transport's do; a bus's own handler runs in its service. */
    static boolean replayableToAStream(String handler) {
        return handler.startsWith("worker:") || handler.startsWith("transport:");
    }

    /** Publishes the chosen letters to {@code to} ({@code where} names its stream or topic), each removed from the store once published. */
    static int replay(EncodedDeadLetterStore store, StoreOptions o, int limit, Transport to, String where, PrintWriter out, PrintWriter err) {
        List<EncodedDeadLetter> letters;
        if (o.id != null) {
            letters = List.of(store.find(o.id).orElseThrow(() -> new IllegalArgumentException("no dead letter " + o.id + " in " + store.name())));
        } else {
            letters = store.list(o.handler, limit);
        }
        List<EncodedDeadLetter> replayable = new ArrayList<>();
        Set<String> skipped = new LinkedHashSet<>();
        int skippedLetters = 0;
        for (EncodedDeadLetter l : letters) {
            if (replayableToAStream(l.handler())) {
                replayable.add(l);
            } else {
                skipped.add("'" + l.handler() + "'");
                skippedLetters++;
            }
        }
        WeftCli.ProgressBar bar = new WeftCli.ProgressBar(err, replayable.size());
        int n = 0;
        for (EncodedDeadLetter l : replayable) {
            // Published first, removed once the transport has it: a crash in between replays it twice, never loses it.
            to.publish(l.message());
            store.remove(l.id());
            bar.update(++n);
        }
        bar.done();
        out.printf("replayed %d dead letter(s) from %s to %s%n", n, store.name(), where);
        if (skippedLetters > 0) {
            err.printf("weft: left %d letter(s) of the bus handler(s) %s in %s: a bus's own handler runs in its service, not on a stream;"
                    + " replay them there (EventBus.replay(id), replayAll()), or purge them%n", skippedLetters, String.join(", ", skipped), store.name());
            if (o.id != null) return 1;
        }
        return 0;
    }

    static int purge(EncodedDeadLetterStore store, StoreOptions o, PrintWriter out) {
        if (o.id != null) {
            if (store.remove(o.id).isEmpty()) throw new IllegalArgumentException("no dead letter " + o.id + " in " + store.name());
            out.printf("purged dead letter %s from %s%n", o.id, store.name());
            return 0;
        }
        out.printf("purged %d dead letter(s) from %s%n", store.purge(o.handler), store.name());
        return 0;
    }

    /** The URL with any password in it replaced: {@code password=***}. */
    static String safe(String jdbcUrl) {
        return jdbcUrl.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("//([^/@:]*):[^/@]*@", "//$1:***@");
    }

    /**
     * One connection for the command's life, opened on first use: every store call borrows it
     * ({@code close()} on what it hands out does nothing), {@link #close()} closes it.
     */
    static final class OneConnection implements DataSource, AutoCloseable {
        private final String url, user, password;
        private Connection real;

        OneConnection(String url, String user, String password) {
            this.url = url;
            this.user = user;
            this.password = password;
        }

        @Override
        public synchronized Connection getConnection() throws SQLException {
            if (real == null || real.isClosed()) {
                java.util.Properties p = new java.util.Properties();
                if (user != null) p.setProperty("user", user);
                if (password != null && !password.isEmpty()) p.setProperty("password", password);
                real = DriverManager.getConnection(url, p);
            }
            Connection c = real;
            return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, m, args) -> {
                if (m.getName().equals("close")) return null;
                try {
                    return m.invoke(c, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
            });
        }

        @Override
        public synchronized void close() {
            if (real == null) return;
            try {
                real.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
            real = null;
        }

        @Override public Connection getConnection(String u, String p) { throw new UnsupportedOperationException("one user"); }
        @Override public PrintWriter getLogWriter() { return null; }
        @Override public void setLogWriter(PrintWriter out) {}
        @Override public void setLoginTimeout(int seconds) {}
        @Override public int getLoginTimeout() { return 0; }
        @Override public Logger getParentLogger() throws SQLFeatureNotSupportedException { throw new SQLFeatureNotSupportedException(); }
        @Override public <T> T unwrap(Class<T> iface) throws SQLException { throw new SQLException("not a wrapper"); }
        @Override public boolean isWrapperFor(Class<?> iface) { return false; }
    }
}
