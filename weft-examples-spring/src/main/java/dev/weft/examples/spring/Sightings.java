package dev.weft.examples.spring;

import dev.weft.events.EventBus;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.jdbc.core.namedparam.MapSqlParameterSource;
import org.springframework.jdbc.core.namedparam.NamedParameterJdbcTemplate;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/** The sightings table and its event: both in one Spring transaction. */
@Service
public class Sightings {

    private final NamedParameterJdbcTemplate jdbc;
    private final EventBus bus;

    public Sightings(NamedParameterJdbcTemplate jdbc, EventBus bus) {
        this.jdbc = jdbc;
        this.bus = bus;
    }

    /**
     * Stores the sighting and emits its event. The event waits for the commit and then for the
     * request's response; when anything here fails, the row rolls back and the event is dropped.
     * A dodo is refused after its row and its event: it shows that a failed request dispatches nothing.
     */
    @Transactional
    public void report(SightingReported s) {
        jdbc.update("INSERT INTO sightings (report, species, birds) VALUES (:report, :species, :birds)",
                new MapSqlParameterSource().addValue("report", s.report()).addValue("species", s.species()).addValue("birds", s.count()));
        bus.emit(s); // validated here (count >= 1), held until the transaction and the request succeed
        if (s.species().equals("dodo")) throw new IllegalStateException("the dodo is extinct: sighting " + s.report() + " cannot be real");
    }

    /** Birds per species, for many species in one query (the batch function of the per-request loader). */
    public Map<String, Integer> birdsBySpecies(List<String> species) {
        Map<String, Integer> out = new HashMap<>();
        for (String s : species) out.put(s, 0);
        jdbc.query("SELECT species, SUM(birds) AS birds FROM sightings WHERE species IN (:species) GROUP BY species",
                Map.of("species", species), row -> {
                    out.put(row.getString("species"), row.getInt("birds"));
                });
        queries.incrementAndGet();
        return out;
    }

    private final AtomicInteger queries = new AtomicInteger();

    /** How many summary queries ran (the example's test counts them). */
    public int summaryQueries() {
        return queries.get();
    }
}
