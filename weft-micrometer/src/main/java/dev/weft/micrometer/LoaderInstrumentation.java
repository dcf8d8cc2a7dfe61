package dev.weft.micrometer;

import dev.weft.batch.BatchListener;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import java.time.Duration;

/**
 * Loader batch meters and the {@code weft.loader.batch} observation. Both listener methods run on
 * the batch's own thread (B5), so the observation opened in {@link #dispatched} is closed by
 * {@link #completed} on the same thread.
 */
final class LoaderInstrumentation implements BatchListener {
    private final MeterRegistry meters;
    private final ObservationRegistry observations;
    /** The batch observation open on this thread, if any (a batch thread runs one batch). */
    private final ThreadLocal<Open> open = new ThreadLocal<>();

    private record Open(Observation observation, Observation.Scope inScope, Open previous) {}

    LoaderInstrumentation(MeterRegistry meters, ObservationRegistry observations) {
        this.meters = meters;
        this.observations = observations;
    }

    @Override
    public void dispatched(Batch batch) {
        if (observations == null || observations.isNoop()) return;
        Observation o = Observation.createNotStarted("weft.loader.batch", observations)
                .contextualName(batch.loader() + " batch")
                .lowCardinalityKeyValue("weft.loader", batch.loader())
                .lowCardinalityKeyValue("weft.loader.reason", ScopeInstrumentation.lower(batch.reason()))
                .highCardinalityKeyValue("weft.loader.batch.number", Long.toString(batch.number()))
                .highCardinalityKeyValue("weft.loader.batch.keys", Integer.toString(batch.size()))
                .start();
        if (o.isNoop()) return;
        open.set(new Open(o, o.openScope(), open.get()));
    }

    @Override
    public void completed(Batch batch, Duration elapsed, Throwable failure) {
        if (meters != null) {
            String loader = batch.loader();
            String reason = ScopeInstrumentation.lower(batch.reason());
            Timer.builder("weft.loader.batch.duration").description("Loader batches: how long the batch function ran, by why it was sent")
                    .tags("loader", loader, "reason", reason, "outcome", failure == null ? "success" : "failure")
                    .register(meters).record(elapsed);
            DistributionSummary.builder("weft.loader.batch.keys").description("Keys per loader batch").baseUnit("keys")
                    .tags("loader", loader).register(meters).record(batch.size());
        }
        Open o = open.get();
        if (o != null) {
            if (o.previous == null) open.remove();
            else open.set(o.previous);
            if (failure != null) o.observation.error(failure);
            o.observation.lowCardinalityKeyValue("weft.loader.outcome", failure == null ? "success" : "failure");
            o.inScope.close();
            o.observation.stop();
        }
    }
}
