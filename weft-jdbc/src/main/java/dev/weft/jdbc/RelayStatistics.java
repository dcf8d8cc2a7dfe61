package dev.weft.jdbc;

/**
 * An immutable snapshot of an {@link OutboxRelay}'s counters.
 *
 * @param published         events the transport confirmed and the relay then marked (or deleted)
 * @param batches           batches published
 * @param refused           events the transport refused for good (too big for it, say): marked with their error, never published
 * @param transportFailures tries that failed because the transport did not confirm (down, closed); the rows stay and are tried again
 * @param databaseFailures  tries that failed in the database (unreachable, a lost lease, a deadlock it broke by
 *                          aborting the try, which is then made again at once); the rows stay and are tried again
 * @param heldForOrder      times a batch left rows of some event name for later because another relay held earlier rows of that name
 */
public record RelayStatistics(long published, long batches, long refused, long transportFailures, long databaseFailures, long heldForOrder) {}
