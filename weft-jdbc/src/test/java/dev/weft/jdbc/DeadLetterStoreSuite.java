package dev.weft.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.events.jackson.JacksonEventCodec;
import dev.weft.events.transport.EncodedDeadLetter;
import dev.weft.events.transport.EncodedDeadLetterStore;
import dev.weft.events.transport.EventCodec;
import dev.weft.events.transport.TransportMessage;
import dev.weft.test.DeadLetterStoreContract;
import java.sql.SQLException;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * {@link JdbcDeadLetterStore} against one database (issue 13, item 3): weft-test's
 * {@link DeadLetterStoreContract} (every rule of a dead-letter store, on the store and through a
 * bus), plus what is the JDBC store's own. Run by {@link H2DeadLetterStoreTest} and
 * {@link PostgresDeadLetterStoreTest}, so the same rules hold on both. "After a restart" is a new
 * store on the same table through a new connection pool.
 */
abstract class DeadLetterStoreSuite extends DeadLetterStoreContract {
    /** The database of this run: H2 or PostgreSQL. */
    protected abstract TestDb db();

    @Override
    protected EncodedDeadLetterStore create() throws SQLException {
        return JdbcDeadLetterStore.builder(db().dataSource()).table(db().table("dead_letters")).createTable(true).build();
    }

    @Override
    protected EncodedDeadLetterStore reopen(EncodedDeadLetterStore store) throws SQLException {
        SimplePool fresh = new SimplePool(db().url, db().user, db().user == null ? null : "");
        return new Reopened(JdbcDeadLetterStore.builder(fresh).table(((JdbcDeadLetterStore) store).table()).build(), fresh);
    }

    @Override
    protected void close(EncodedDeadLetterStore store) {
        if (store instanceof Reopened r) r.pool.close();
    }

    @Override
    protected EventCodec codec() {
        return new JacksonEventCodec();
    }

    /** A store of its own pool, which {@link #close} closes. */
    private static final class Reopened implements EncodedDeadLetterStore {
        final JdbcDeadLetterStore store;
        final SimplePool pool;

        Reopened(JdbcDeadLetterStore store, SimplePool pool) {
            this.store = store;
            this.pool = pool;
        }

        @Override public String name() { return store.name(); }
        @Override public void add(EncodedDeadLetter letter) { store.add(letter); }
        @Override public java.util.List<EncodedDeadLetter> list(String handler, int limit) { return store.list(handler, limit); }
        @Override public java.util.Optional<EncodedDeadLetter> find(UUID id) { return store.find(id); }
        @Override public java.util.Optional<EncodedDeadLetter> remove(UUID id) { return store.remove(id); }
        @Override public int purge(String handler) { return store.purge(handler); }
        @Override public long count(String handler) { return store.count(handler); }
    }

    // ---------------------------------------------------------------- the JDBC store's own

    @Test
    void theSchemaScriptIsIdempotent_namesTheTable_andASchemaQualifiedTableWorks() throws Exception {
        JdbcDeadLetterStore s = (JdbcDeadLetterStore) store;
        s.createTable();
        s.createTable();
        assertThat(s.schema()).contains("CREATE TABLE IF NOT EXISTS " + s.table() + " (").contains(s.table() + "_handler")
                .doesNotContain("weft_dead_letters");
        String schema = db().table("dl_schema");
        db().exec("CREATE SCHEMA " + schema);
        JdbcDeadLetterStore qualified = JdbcDeadLetterStore.builder(db().dataSource()).table(schema + ".letters").createTable(true).build();
        qualified.createTable();
        EncodedDeadLetter l = letter("mailer", "{}");
        qualified.add(l);
        assertThat(qualified.find(l.id())).isPresent();
        assertThat(db().number("SELECT COUNT(*) FROM " + schema + ".letters")).isEqualTo(1);
        assertThatThrownBy(() -> JdbcDeadLetterStore.builder(db().dataSource()).table("letters; DROP TABLE x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a plain SQL identifier");
    }

    @Test
    void anErrorTextWithANulCharacterIsKept_theNulReplaced() {
        EncodedDeadLetter l = new EncodedDeadLetter(UUID.randomUUID(), "mailer", letter("mailer", "{}").message(), "java.io.IOException: bad\0byte", 1, Instant.now());
        store.add(l);
        assertThat(store.find(l.id()).orElseThrow().error()).isEqualTo("java.io.IOException: bad\uFFFDbyte");
    }

    @Test
    void aMissingTableIsAClearError_namingTheStoreAndTheFix() throws Exception {
        JdbcDeadLetterStore missing = JdbcDeadLetterStore.builder(db().dataSource()).table(db().table("never_created")).build();
        assertThatThrownBy(() -> missing.add(letter("mailer", "{}"))).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("dead-letter store 'jdbc:" + missing.table() + "' on " + db().kind + " cannot keep dead letter")
                .hasMessageContaining("createTable(true)");
        assertThatThrownBy(() -> missing.list(null, 10)).isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot list dead letters");
    }

    @Test
    void aBodyThatIsNotUtf8OrOverTheLimitIsRefusedAtTheCall() throws Exception {
        TransportMessage binary = new TransportMessage("e1", "parcel.shipped", new byte[] {(byte) 0xC3, (byte) 0x28});
        assertThatThrownBy(() -> store.add(new EncodedDeadLetter(UUID.randomUUID(), "h", binary, "e", 1, Instant.now())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not UTF-8");
        JdbcDeadLetterStore small = JdbcDeadLetterStore.builder(db().dataSource()).table(((JdbcDeadLetterStore) store).table()).maxPayloadBytes(10).build();
        assertThatThrownBy(() -> small.add(letter("h", "{\"a long body\":1}"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("over the limit of 10 bytes");
        assertThat(store.count(null)).isZero();
    }
}
