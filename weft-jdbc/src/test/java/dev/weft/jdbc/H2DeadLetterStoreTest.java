package dev.weft.jdbc;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** {@link DeadLetterStoreSuite} on H2 in memory, the embedded default. */
class H2DeadLetterStoreTest extends DeadLetterStoreSuite {
    static TestDb db;

    @BeforeAll
    static void open() {
        db = TestDb.h2();
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
