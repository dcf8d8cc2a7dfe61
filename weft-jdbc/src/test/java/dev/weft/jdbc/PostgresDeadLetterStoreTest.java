package dev.weft.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link DeadLetterStoreSuite} on PostgreSQL: a server of the test run's own (PostgresServer), skipped without it unless CI=true. */
class PostgresDeadLetterStoreTest extends DeadLetterStoreSuite {
    static TestDb db;

    @BeforeAll
    static void open() {
        db = TestDb.postgres();
    }

    @AfterAll
    static void close() {
        if (db != null) db.close();
    }

    @Override
    protected TestDb db() {
        return db;
    }
}
