package dev.weft.events.worker;

/**
 * A snapshot of a {@link Worker}'s counters.
 *
 * @param received          deliveries taken from the transport
 * @param handled           events whose handlers all succeeded (then acknowledged)
 * @param retries           tries repeated after a handler failed or ran past the deadline
 * @param rejected          events given back after the last try (redelivered, or dead-lettered by the transport)
 * @param deadLettered      entries dead-lettered without running a handler: by the worker, because they could not be
 *                          decoded or validated, and, on a {@code RedisStreamsTransport} (weft-redis), by the transport while this worker
 *                          received them (not a Weft entry, over the payload limit, or past {@code maxDeliveries})
 * @param duplicates        deliveries of an event this worker had handled already (acknowledged, not handled again)
 * @param leftForRedelivery deliveries taken but not started because the worker was stopping
 * @param abandoned         events whose handlers were cancelled at shutdown (left unacknowledged)
 * @param transportErrors   failed receives, acknowledgements or rejects (Redis down), each retried or left for redelivery
 * @param inFlight          events being handled now
 */
public record WorkerStatistics(long received, long handled, long retries, long rejected, long deadLettered, long duplicates,
                               long leftForRedelivery, long abandoned, long transportErrors, int inFlight) {}
