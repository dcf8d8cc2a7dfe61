package dev.weft.jdbc;

import dev.weft.Scope;
import dev.weft.Task;
import dev.weft.Weft;
import dev.weft.events.transport.Transport;
import dev.weft.events.transport.TransportException;
import dev.weft.events.transport.TransportMessage;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Publishes the committed events of a {@link JdbcOutbox} to a {@link Transport} (Redis Streams,
 * in memory, any), in batches, and marks them published or deletes them.
 *
 * <pre>{@code
 * OutboxRelay relay = outbox.relay(transport).batchSize(256).build();
 * scope.forkBackground(relay::run);   // until relay.shutdown() or the scope is cancelled
 * }</pre>
 *
 * <h2>What it guarantees</h2>
 * <ul>
 *   <li><b>Nothing is dropped for an outage.</b> A row leaves the outbox (is marked or deleted)
 *   only after the transport confirmed its event. While the transport (or the database) fails,
 *   the relay tries again with a capped backoff ({@link Builder#backoff}), for as long as it
 *   takes; it never dead-letters a row because the transport is down. Only an event the
 *   transport refuses for good (a {@code publishAll} failure other than
 *   {@link TransportException}, say over its size limit) is set aside: marked with its error,
 *   logged, counted as {@code refused}, never published.</li>
 *   <li><b>At least once.</b> A relay that dies after the transport confirmed and before the
 *   row was marked leaves the row to be published again: consumers see a duplicate with the same
 *   event id, which a {@code Worker} (and {@code EventBus.consume}) drops within its
 *   de-duplication window. End to end: at least once from commit to handler, effectively once
 *   per handler within that window (the last 10,000 ids per consumer).</li>
 *   <li><b>Several relays.</b> Any number of relays (in any number of processes) may run on one
 *   table: each row is published by one relay at a time. {@link Claim#SKIP_LOCKED} (the
 *   default) holds the rows of a batch with {@code SELECT .. FOR UPDATE SKIP LOCKED} in a
 *   transaction that ends after they were marked; a relay that dies loses its connection and
 *   with it its locks, so another takes its rows at once. Such a relay uses up to two
 *   connections: while the transport takes one batch, the other connection settles the batch
 *   before it and claims the next (ADR 0043); batches are still published one after the other,
 *   and the next only once the transport confirmed the one before. {@link Claim#LEASE} claims rows by
 *   writing its name and a lease's end into them; a relay that dies leaves them to another when
 *   the lease ({@link Builder#lease}) lapses.</li>
 *   <li><b>Order.</b> Events of one name are published in the order of their outbox ids, with
 *   every relay: a relay leaves for later the rows of a name of which another relay holds an
 *   earlier row. Ids are taken when a transaction writes its events, just before it commits, so
 *   <i>within one transaction</i> events keep their emit order, and <i>a transaction that
 *   committed before another wrote its events</i> (in particular one whose data the other
 *   read) has its events published first. Not ordered: events of different names (they may
 *   interleave in any way); events of overlapping transactions (one may have the smaller ids
 *   and commit later: its events are published when it commits, possibly after the other's);
 *   and a duplicate published again after a crash, which may come after later events.</li>
 * </ul>
 */
// Implementer's note. One batch, SKIP_LOCKED: in one transaction, SELECT the first batchSize
// unpublished rows FOR UPDATE SKIP LOCKED (rows other relays hold are skipped), check order (see
// inOrder), publishAll, mark or delete by id, commit. run() and publishPending() pipeline these
// transactions on two connections (drainSkipLocked, ADR 0043): the database settles batch k-1 and
// claims k+1 while the transport takes k; the settle commits without waiting for the disk on
// PostgreSQL (ADR 0044). A relay that dies leaves an open
// transaction whose locks the database drops with its connection. LEASE: UPDATE the first free
// rows with our name and now + lease (committed at once), read our rows, check order, publish,
// then mark or delete WHERE lease_owner = us: a relay whose lease lapsed and was taken over marks
// nothing (its rows are published again by their new owner: a duplicate, never a loss). Backoff
// and the idle poll wait on a Condition that commits of this process's outbox signal (wake), so
// a local commit is published at once; commits of other processes are seen at the next poll.
public final class OutboxRelay {
    private static final AtomicInteger SEQ = new AtomicInteger();

    /** How several relays keep out of each other's rows. */
    public enum Claim {
        /** Row locks with {@code FOR UPDATE SKIP LOCKED}, held while the batch is published; released with a dead relay's connection. */
        SKIP_LOCKED,
        /** A lease written into the rows (owner and end); a dead relay's rows are taken over when the lease lapses. */
        LEASE
    }

    /** What happens to a row once its event is published. */
    public enum Retention {
        /** The row is deleted: the table holds only what waits (the default). */
        DELETE,
        /** The row stays with {@code published_at} set; delete old rows with {@link JdbcOutbox#deletePublishedBefore}. */
        MARK
    }

    private final JdbcOutbox outbox;
    private final Transport transport;
    private final String table;
    private final String owner;
    private final int batchSize;
    private final Duration pollInterval;
    private final Duration initialBackoff, maxBackoff;
    private final Duration lease;
    private final Claim claim;
    private final Retention retention;
    private final System.Logger log;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition work = lock.newCondition();
    private boolean woken; // guarded by lock
    private volatile boolean stopping;
    private final LongAdder published = new LongAdder(), batches = new LongAdder(), refused = new LongAdder(),
            transportFailures = new LongAdder(), databaseFailures = new LongAdder(), heldForOrder = new LongAdder();

    private OutboxRelay(Builder b) {
        this.outbox = b.outbox;
        this.transport = b.transport;
        this.table = b.outbox.table();
        this.owner = b.owner != null ? b.owner : "relay-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
        this.batchSize = b.batchSize;
        this.pollInterval = b.pollInterval;
        this.initialBackoff = b.initialBackoff;
        this.maxBackoff = b.maxBackoff;
        this.lease = b.lease;
        this.claim = b.claim;
        this.retention = b.retention;
        this.log = b.logger;
    }

    /**
     * Publishes until {@link #shutdown()} or until the thread's scope is cancelled: batches while
     * there are rows, then waits for a commit of this process's outbox or the poll interval.
     * Failures of the transport or the database are logged and retried with backoff; nothing
     * leaves the table unpublished.
     *
     * @throws dev.weft.Cancelled if the scope running it is cancelled
     */
    public void run() {
        outbox.register(this);
        int failures = 0;
        try {
            while (!stopping) {
                int n;
                try {
                    n = relaySome();
                    failures = 0;
                } catch (TransportException | SQLException down) {
                    failures++;
                    Duration wait = backoff(failures);
                    log.log(Level.WARNING, "outbox relay {0}: {1}; the events stay in {2} and are tried again in {3} ms",
                            owner, describe(down), table, wait.toMillis());
                    await(wait);
                    continue;
                }
                if (n == 0) await(pollInterval);
            }
        } finally {
            outbox.unregister(this);
        }
    }

    private String describe(Exception e) {
        if (e instanceof TransportException) return "transport '" + transport.name() + "' did not confirm: " + e.getMessage();
        return "the database failed: " + e.getMessage();
    }

    private Duration backoff(int failures) {
        double nanos = initialBackoff.toNanos() * Math.pow(2, Math.min(failures - 1, 30));
        return Duration.ofNanos((long) Math.min(nanos, (double) maxBackoff.toNanos()));
    }

    /** Waits up to {@code d}, or until woken; a cancellation point. */
    private void await(Duration d) {
        long nanos = d.toNanos();
        lock.lock();
        try {
            while (!woken && !stopping && nanos > 0) nanos = work.awaitNanos(nanos);
            woken = false;
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            Weft.checkpoint(); // throws Cancelled if the scope was cancelled
            stopping = true;
        } finally {
            lock.unlock();
        }
    }

    /** Something committed events (or shutdown was called): look now. */
    void wake() {
        lock.lock();
        try {
            woken = true;
            work.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Makes {@link #run()} return after the batch under way; idempotent. */
    public void shutdown() {
        stopping = true;
        wake();
    }

    /**
     * Publishes every row this relay may publish now, batch after batch, and returns how many it
     * published; for tests, tools and a graceful stop. Does not retry: a failure is thrown.
     *
     * @throws TransportException if the transport did not confirm (the batch stays in the table)
     * @throws SQLException       if the database failed
     */
    public int publishPending() throws SQLException {
        int total = 0;
        int n;
        while ((n = relaySome()) > 0) total += n;
        return total;
    }

    /** An immutable snapshot of the counters. */
    public RelayStatistics statistics() {
        return new RelayStatistics(published.sum(), batches.sum(), refused.sum(), transportFailures.sum(), databaseFailures.sum(), heldForOrder.sum());
    }

    /** Its name: the lease owner written into rows with {@link Claim#LEASE}. */
    public String owner() {
        return owner;
    }

    // ---------------------------------------------------------------- one batch

    private record Row(long id, TransportMessage message) {}

    /**
     * Publishes batches while there are rows it may publish, pipelined with {@link Claim#SKIP_LOCKED}
     * (see {@link #drainSkipLocked()}), one batch with {@link Claim#LEASE}; returns how many rows it
     * published or refused (0: nothing to do now).
     */
    int relaySome() throws SQLException {
        return counted(() -> claim == Claim.SKIP_LOCKED ? drainSkipLocked() : leaseBatch());
    }

    private interface Try {
        int run() throws SQLException;
    }

    /**
     * Runs {@code t}, counting its failures, and tries it again at once when the database aborted
     * it to break a deadlock ({@link #rolledBackByTheDatabase}).
     */
    private int counted(Try t) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            try {
                return t.run();
            } catch (TransportException e) {
                transportFailures.increment();
                throw e;
            } catch (SQLException e) {
                databaseFailures.increment();
                if (attempt < ROLLBACK_TRIES && rolledBackByTheDatabase(e)) continue;
                throw e;
            }
        }
    }

    /** How many times a batch is tried when the database breaks a deadlock by aborting it. */
    private static final int ROLLBACK_TRIES = 5;

    /**
     * Whether the database aborted the statement to break a deadlock or a serialization conflict
     * (SQLSTATE class 40: {@code 40P01}, {@code 40001}). Two relays that claim leases (multi-row
     * {@code UPDATE}s) and settle ({@code DELETE}s) lock rows in the orders their plans choose, so
     * PostgreSQL may find them waiting on each other and abort one: that is contention, not an
     * outage, and the batch is simply tried again. Nothing is lost either way: an aborted claim
     * claimed nothing, and an aborted settle leaves published rows to be published again (a
     * duplicate, which consumers drop by id).
     */
    static boolean rolledBackByTheDatabase(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException s && s.getSQLState() != null && s.getSQLState().startsWith("40")) return true;
        }
        return false;
    }

    /** Publishes one batch, not pipelined; returns how many rows it published or refused (0: nothing to do now). */
    int relayBatch() throws SQLException {
        return counted(() -> claim == Claim.SKIP_LOCKED ? skipLockedBatch() : leaseBatch());
    }

    /** A batch claimed with SKIP_LOCKED: its rows stay locked by the open transaction on {@code c} until it is settled or released. */
    private record Claimed(Connection c, List<Row> go, int read) {}

    /** What {@link #publish} got out: rows confirmed, rows refused for good (with their errors); {@code complete} if that is all of them. */
    private record Published(List<Row> done, List<Row> bad, List<String> errors, boolean complete) {}

    private int skipLockedBatch() throws SQLException {
        Claimed k = claimBatch(Set.of());
        if (k.go.isEmpty()) {
            release(k, null);
            return 0;
        }
        Published p;
        try {
            p = publish(k.go);
        } catch (RuntimeException | Error e) {
            release(k, e);
            throw e;
        }
        return settleAndClose(k, p);
    }

    /**
     * Claims the next batch in a new transaction on a connection of its own: SELECT .. FOR UPDATE
     * SKIP LOCKED, then the order check, in which {@code alsoOurs} (the batch this relay is
     * publishing, locked by its other transaction) counts as ours.
     */
    private Claimed claimBatch(Set<Long> alsoOurs) throws SQLException {
        Connection c = outbox.dataSource().getConnection();
        try {
            c.setAutoCommit(false);
            List<Row> rows = read(c, "SELECT id, event_id, name, body FROM " + table
                    + " WHERE published_at IS NULL ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED", ps -> ps.setInt(1, batchSize));
            return new Claimed(c, rows.isEmpty() ? rows : inOrder(c, rows, null, alsoOurs), rows.size());
        } catch (SQLException | RuntimeException | Error e) {
            release(new Claimed(c, List.of(), 0), e);
            throw e;
        }
    }

    /** Ends a claim without publishing: rolls back (its rows are free again) and closes its connection. */
    private static void release(Claimed k, Throwable failure) {
        try (Connection c = k.c) {
            c.rollback();
        } catch (SQLException releaseFailed) {
            // A connection that cannot roll back is broken: the database drops its locks with it.
            if (failure != null) failure.addSuppressed(releaseFailed);
        }
    }

    /**
     * Marks or deletes what {@code p} got out, sets aside what was refused, commits and closes; on
     * failure rolls back (the rows are published again later: duplicates, never a loss) and throws.
     * The commit does not wait for the database's disk on PostgreSQL ({@code synchronous_commit}
     * off for this transaction only, ADR 0044): a settle lost in a database crash leaves rows that
     * are published again, which at least once allows; nothing is ever lost by it.
     */
    private int settleAndClose(Claimed k, Published p) throws SQLException {
        try (Connection c = k.c) {
            try {
                if (outbox.dialect().asyncCommit != null) {
                    try (var st = c.createStatement()) {
                        st.execute(outbox.dialect().asyncCommit);
                    }
                }
                settle(c, p.done);
                for (int i = 0; i < p.bad.size(); i++) setAside(c, p.bad.get(i), p.errors.get(i));
                c.commit();
            } catch (SQLException | RuntimeException | Error e) {
                try {
                    c.rollback();
                } catch (SQLException rollbackFailed) {
                    e.addSuppressed(rollbackFailed);
                }
                throw e;
            }
        }
        return count(p);
    }

    private int count(Published p) {
        published.add(p.done.size());
        refused.add(p.bad.size());
        batches.increment();
        return p.done.size() + p.bad.size();
    }

    /** What the database side of one pipeline step ended with: the next claim, or the failure. */
    private record DbStep(Claimed next, Exception failure) {}

    /** What the database side of a pipeline step holds, for a step that ends by cancellation. */
    private static final class DbSide {
        volatile boolean previousTaken;
        volatile int settledBefore;
        volatile Claimed next;
    }

    /** What the transport side of one pipeline step ended with: what went out, or the failure. */
    private record PublishStep(Published published, RuntimeException failure) {}

    /**
     * SKIP_LOCKED, pipelined (ADR 0043): while the transport takes batch k, a second connection
     * settles batch k-1 (delete or mark, commit) and then claims batch k+1, so the database's part
     * of a batch overlaps the broker's instead of following it. Batches are still published one
     * after the other, in order, by this thread; batch k+1 counts batch k as ours in its order
     * check (the rows of k are locked by our other transaction) and is published only after k was
     * confirmed. If the transport does not confirm k, k and k+1 are rolled back (their rows are
     * free again) and the failure is thrown; k-1 was confirmed and is settled. At most two
     * connections per relay, two batches locked.
     *
     * @return rows published or refused; 0 if there was nothing this relay may publish now
     */
    private int drainSkipLocked() throws SQLException {
        int total = 0;
        Claimed ready = claimBatch(Set.of()); // locked, not yet published
        Claimed sent = null;                  // published, not yet settled
        Published sentOut = null;
        try {
            while (true) {
                if (ready.go.isEmpty()) {
                    Claimed empty = ready;
                    ready = null;
                    release(empty, null);
                    if (sent != null) {
                        Claimed k = sent;
                        sent = null;
                        total += settleAndClose(k, sentOut);
                    }
                    return total;
                }
                Claimed k = ready, previous = sent;
                Published previousOut = sentOut;
                // Claim the next batch beside this one only if this one was full (a short batch took every row there was)
                // and nothing of it was held for order (another relay is working on the same names: locking more rows
                // would only hold more of them back from it).
                boolean more = k.read == batchSize && k.go.size() == k.read;
                Set<Long> ours = new HashSet<>();
                for (Row r : k.go) ours.add(r.id);
                DbSide side = new DbSide();
                Object[] step;
                try {
                    step = Scope.builder().name("outbox-relay-step").run(s -> {
                        Task<DbStep> db = s.fork("outbox-relay-db", () -> {
                            side.previousTaken = true; // from here on the previous batch is settled or rolled back here
                            try {
                                if (previous != null) side.settledBefore = settleAndClose(previous, previousOut);
                                if (more) side.next = claimBatch(ours);
                                return new DbStep(side.next, null);
                            } catch (SQLException | RuntimeException e) {
                                return new DbStep(null, e);
                            }
                        });
                        PublishStep out;
                        try {
                            out = new PublishStep(publish(k.go), null);
                        } catch (RuntimeException e) {
                            out = new PublishStep(null, e);
                        }
                        return new Object[] {out, db.join()};
                    });
                } catch (RuntimeException | Error cancelled) {
                    // Cancelled (or a bug): the scope waited for the database side, so what it holds is known here.
                    if (side.next != null) release(side.next, cancelled);
                    if (!side.previousTaken) sent = previous; else sent = null;
                    throw cancelled;
                }
                ready = null;
                sent = null;
                PublishStep out = (PublishStep) step[0];
                DbStep db = (DbStep) step[1];
                total += side.settledBefore;
                if (out.failure != null) {
                    release(k, out.failure);
                    if (db.next != null) release(db.next, out.failure);
                    if (db.failure != null) out.failure.addSuppressed(db.failure);
                    throw out.failure;
                }
                if (db.failure != null || !out.published.complete || db.next == null) {
                    // The database failed (the previous batch may be rolled back: published again later), the transport
                    // took only part of k, or k was the last: settle what went out of k, stop here; the caller looks again.
                    if (db.next != null) release(db.next, null);
                    try {
                        total += settleAndClose(k, out.published);
                    } catch (SQLException settleFailed) {
                        if (db.failure != null) settleFailed.addSuppressed(db.failure);
                        throw settleFailed;
                    }
                    if (db.failure instanceof SQLException sql) throw sql;
                    if (db.failure instanceof RuntimeException rt) throw rt;
                    return total;
                }
                sent = k;
                sentOut = out.published;
                ready = db.next;
            }
        } catch (SQLException | RuntimeException | Error e) {
            if (ready != null) release(ready, e);
            if (sent != null) release(sent, e); // published, not settled: published again later (a duplicate, never a loss)
            throw e;
        }
    }

    private int leaseBatch() throws SQLException {
        try (Connection c = outbox.dataSource().getConnection()) {
            c.setAutoCommit(true);
            String free = "published_at IS NULL AND (lease_owner IS NULL OR lease_owner = ? OR lease_until < CURRENT_TIMESTAMP)";
            try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET lease_owner = ?, lease_until = "
                    + outbox.dialect().nowPlusMillis + " WHERE " + free + " AND id IN (SELECT id FROM " + table + " WHERE " + free
                    + " ORDER BY id LIMIT ?)")) {
                ps.setString(1, owner);
                ps.setLong(2, lease.toMillis());
                ps.setString(3, owner);
                ps.setString(4, owner);
                ps.setInt(5, batchSize);
                ps.executeUpdate();
            }
            List<Row> rows = read(c, "SELECT id, event_id, name, body FROM " + table
                    + " WHERE published_at IS NULL AND lease_owner = ? AND lease_until > CURRENT_TIMESTAMP ORDER BY id LIMIT ?", ps -> {
                        ps.setString(1, owner);
                        ps.setInt(2, batchSize);
                    });
            if (rows.isEmpty()) return 0;
            List<Row> go = inOrder(c, rows, owner, Set.of());
            if (go.isEmpty()) return 0;
            Published p = publish(go);
            settle(c, p.done);
            for (int i = 0; i < p.bad.size(); i++) setAside(c, p.bad.get(i), p.errors.get(i));
            return count(p);
        }
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private static List<Row> read(Connection c, String sql, Binder binder) throws SQLException {
        List<Row> rows = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    rows.add(new Row(rs.getLong(1), new TransportMessage(rs.getString(2), rs.getString(3),
                            rs.getString(4).getBytes(StandardCharsets.UTF_8))));
                }
            }
        }
        return rows;
    }

    /**
     * The rows of {@code mine} that may go now: for each name, those before the first unpublished
     * row of that name that is not ours (another relay holds it, or it became visible after we
     * read). Fast path: when the unpublished rows up to our last are exactly ours, all may go.
     *
     * @param leaseOwner null for SKIP_LOCKED (ours are exactly {@code mine} and {@code alsoOurs})
     * @param alsoOurs   ids of the batch this relay is publishing before {@code mine} (pipelined), locked by its other transaction
     */
    private List<Row> inOrder(Connection c, List<Row> mine, String leaseOwner, Set<Long> alsoOurs) throws SQLException {
        long last = mine.get(mine.size() - 1).id;
        long oursUpToLast = mine.size();
        for (long id : alsoOurs) if (id <= last) oursUpToLast++;
        try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM " + table + " WHERE published_at IS NULL AND id <= ?")) {
            ps.setLong(1, last);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) == oursUpToLast) return mine;
            }
        }
        Set<Long> ours = new HashSet<>(alsoOurs);
        for (Row r : mine) ours.add(r.id);
        Map<String, Long> firstForeignOf = new HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT id, name FROM " + table + " WHERE published_at IS NULL AND id <= ? ORDER BY id")) {
            ps.setLong(1, last);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    long id = rs.getLong(1);
                    if (!ours.contains(id)) firstForeignOf.putIfAbsent(rs.getString(2), id);
                }
            }
        }
        if (firstForeignOf.isEmpty()) return mine;
        // A name is held from its first foreign row on; our rows of it before that row may go.
        List<Row> go = new ArrayList<>(mine.size());
        for (Row r : mine) {
            Long first = firstForeignOf.get(r.message.name());
            if (first == null || r.id < first) go.add(r);
        }
        if (go.size() < mine.size()) heldForOrder.increment();
        return go;
    }

    /**
     * Publishes {@code rows} (not empty); a row the transport refuses for good is set aside, the
     * others go. Throws {@link TransportException} if none went out.
     */
    private Published publish(List<Row> rows) {
        List<TransportMessage> messages = new ArrayList<>(rows.size());
        for (Row r : rows) messages.add(r.message);
        List<Row> done = new ArrayList<>(rows.size());
        List<Row> bad = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        try {
            transport.publishAll(messages);
            done.addAll(rows);
        } catch (TransportException notConfirmed) {
            throw notConfirmed;
        } catch (RuntimeException refusedSomething) {
            // One of them is refused for good: try each alone, so only that one is set aside (ADR 0024).
            for (Row r : rows) {
                try {
                    transport.publish(r.message);
                    done.add(r);
                } catch (TransportException notConfirmed) {
                    if (done.isEmpty() && bad.isEmpty()) throw notConfirmed;
                    break; // settle what went out; the rest stays for the next batch
                } catch (RuntimeException refusedForGood) {
                    bad.add(r);
                    errors.add(refusedForGood.getClass().getSimpleName() + ": " + refusedForGood.getMessage());
                }
            }
        }
        return new Published(done, bad, errors, done.size() + bad.size() == rows.size());
    }

    private void settle(Connection c, List<Row> rows) throws SQLException {
        if (rows.isEmpty()) return;
        StringBuilder in = new StringBuilder();
        for (int i = 0; i < rows.size(); i++) in.append(i == 0 ? "?" : ", ?");
        String sql = retention == Retention.DELETE
                ? "DELETE FROM " + table + " WHERE id IN (" + in + ")"
                : "UPDATE " + table + " SET published_at = CURRENT_TIMESTAMP, lease_owner = NULL, lease_until = NULL WHERE id IN (" + in + ")";
        if (claim == Claim.LEASE) sql += " AND lease_owner = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int p = 1;
            for (Row r : rows) ps.setLong(p++, r.id);
            if (claim == Claim.LEASE) ps.setString(p, owner);
            int n = ps.executeUpdate();
            if (n != rows.size()) {
                // LEASE only: our lease lapsed and another relay took some rows over; it publishes them again (a duplicate, not a loss).
                log.log(Level.WARNING, "outbox relay {0}: {1} of {2} published rows of {3} were taken over by another relay after the lease lapsed;"
                        + " they will be published again (consumers drop the duplicates by id): raise the lease", owner, rows.size() - n, rows.size(), table);
            }
        }
    }

    private void setAside(Connection c, Row r, String error) throws SQLException {
        log.log(Level.ERROR, "outbox relay {0}: transport ''{1}'' refused event ''{2}'' {3} for good: {4}; it stays in {5} (id {6}) with that error"
                + " and is not published", owner, transport.name(), r.message.name(), r.message.id(), error, table, r.id);
        String e = error.length() > 2000 ? error.substring(0, 2000) : error;
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table
                + " SET published_at = CURRENT_TIMESTAMP, error = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?")) {
            ps.setString(1, e);
            ps.setLong(2, r.id);
            ps.executeUpdate();
        }
    }

    @Override
    public String toString() {
        return "OutboxRelay[" + owner + ", " + table + " -> " + transport.name() + ", " + claim + ", " + retention + "]";
    }

    /** Configures an {@link OutboxRelay}; from {@link JdbcOutbox#relay(Transport)}. */
    public static final class Builder {
        private final JdbcOutbox outbox;
        private final Transport transport;
        private String owner;
        private int batchSize = 256;
        private Duration pollInterval = Duration.ofMillis(100);
        private Duration initialBackoff = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(5);
        private Duration lease = Duration.ofSeconds(30);
        private Claim claim = Claim.SKIP_LOCKED;
        private Retention retention = Retention.DELETE;
        private System.Logger logger = System.getLogger(OutboxRelay.class.getName());

        Builder(JdbcOutbox outbox, Transport transport) {
            this.outbox = Objects.requireNonNull(outbox, "outbox");
            this.transport = Objects.requireNonNull(transport, "transport");
        }

        /** Rows per batch (one {@code publishAll} call); default 256. */
        public Builder batchSize(int rows) {
            if (rows < 1) throw new IllegalArgumentException("batchSize is " + rows + ": at least 1");
            this.batchSize = rows;
            return this;
        }

        /** How often an idle relay looks for rows other processes committed; default 100 ms. This process's commits wake it at once. */
        public Builder pollInterval(Duration d) {
            this.pollInterval = positive(d, "pollInterval");
            return this;
        }

        /** The wait after a failed try, doubling up to {@code max}; default 100 ms up to 5 s. */
        public Builder backoff(Duration initial, Duration max) {
            this.initialBackoff = positive(initial, "initial backoff");
            this.maxBackoff = positive(max, "max backoff");
            if (max.compareTo(initial) < 0) throw new IllegalArgumentException("max backoff " + max + " is below the initial " + initial);
            return this;
        }

        /** How several relays share the table; default {@link Claim#SKIP_LOCKED}. */
        public Builder claim(Claim claim) {
            this.claim = Objects.requireNonNull(claim, "claim");
            return this;
        }

        /** {@link Claim#LEASE} only: how long a claim holds before another relay may take the rows over; default 30 s. Make it longer than a batch's publish. */
        public Builder lease(Duration d) {
            this.lease = positive(d, "lease");
            return this;
        }

        /** What happens to published rows; default {@link Retention#DELETE}. */
        public Builder retention(Retention retention) {
            this.retention = Objects.requireNonNull(retention, "retention");
            return this;
        }

        /** The relay's name (lease owner, logs); default {@code relay-<pid>-<n>}. Unique among the relays of a table. */
        public Builder owner(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank() || name.length() > 128) throw new IllegalArgumentException("owner must be 1 to 128 characters");
            this.owner = name;
            return this;
        }

        /** Where it reports failures it retries and events refused for good; default the System.Logger named after this class. */
        public Builder logger(System.Logger logger) {
            this.logger = Objects.requireNonNull(logger, "logger");
            return this;
        }

        private static Duration positive(Duration d, String what) {
            Objects.requireNonNull(d, what);
            if (d.isNegative() || d.isZero()) throw new IllegalArgumentException(what + " must be positive, is " + d);
            return d;
        }

        /** The relay; {@link OutboxRelay#run()} starts it. */
        public OutboxRelay build() {
            return new OutboxRelay(this);
        }
    }
}
