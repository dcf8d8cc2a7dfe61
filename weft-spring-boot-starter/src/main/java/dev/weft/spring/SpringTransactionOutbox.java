package dev.weft.spring;

import dev.weft.events.transport.Outbox;
import dev.weft.events.transport.TransportMessage;
import dev.weft.jdbc.JdbcOutbox;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.springframework.jdbc.datasource.DataSourceUtils;
import org.springframework.transaction.support.TransactionSynchronizationManager;

/**
 * weft-jdbc's outbox table, written in Spring's transaction: an event emitted in a
 * {@code @Transactional} method (a transaction of Spring's {@code DataSourceTransactionManager} or
 * {@code JdbcTransactionManager} on the outbox's DataSource) is inserted into the outbox table
 * through the transaction's own connection, so it commits or rolls back with the method's data.
 * The relay ({@code OutboxRelay}) publishes committed rows to the transport. Inside
 * {@code JdbcOutbox.transaction(..)} the JDBC outbox's own transaction takes the event, as without
 * Spring. Anywhere else the emit is refused ({@code NO_UNIT_OF_WORK}): nothing falls back to memory.
 */
final class SpringTransactionOutbox implements Outbox {

    private final JdbcOutbox jdbc;
    private final DataSource dataSource;
    private final String insertSql;

    SpringTransactionOutbox(JdbcOutbox jdbc, DataSource dataSource) {
        this.jdbc = jdbc;
        this.dataSource = dataSource;
        // The columns of weft-jdbc's outbox table (docs/WIRE.md); the relay reads them.
        this.insertSql = "INSERT INTO " + jdbc.table() + " (event_id, name, body) VALUES (?, ?, ?)";
    }

    @Override
    public boolean add(TransportMessage message) {
        if (jdbc.add(message)) return true; // inside JdbcOutbox.transaction(..)
        if (!TransactionSynchronizationManager.isActualTransactionActive()
                || TransactionSynchronizationManager.getResource(dataSource) == null) {
            return false;
        }
        Connection c = DataSourceUtils.getConnection(dataSource);
        try (PreparedStatement ps = c.prepareStatement(insertSql)) {
            ps.setString(1, message.id());
            ps.setString(2, message.name());
            ps.setString(3, text(message));
            ps.executeUpdate();
            return true;
        } catch (SQLException e) {
            throw new IllegalStateException("event '" + message.name() + "' " + message.id() + " could not be written to the outbox table "
                    + jdbc.table() + ": " + e.getMessage() + " (is the table there? weft.outbox.create-table=true creates it)", e);
        } finally {
            DataSourceUtils.releaseConnection(c, dataSource);
        }
    }

    private static String text(TransportMessage m) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(m.body())).toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("event '" + m.name() + "' " + m.id() + ": the codec's output is not UTF-8 text;"
                    + " the outbox stores JSON bodies as text (use a JSON codec such as JacksonEventCodec)", e);
        }
    }

    @Override
    public String howToEmit() {
        return "emit it inside a @Transactional method (a Spring transaction on the outbox's DataSource), which stores it with"
                + " that transaction, or inside outbox.transaction(..)";
    }

    @Override
    public String name() {
        return jdbc.name();
    }

    JdbcOutbox jdbc() {
        return jdbc;
    }
}
