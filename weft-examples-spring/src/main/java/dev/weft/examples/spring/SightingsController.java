package dev.weft.examples.spring;

import dev.weft.Par;
import dev.weft.batch.Loader;
import dev.weft.batch.LoaderStatistics;
import dev.weft.events.EventRejectedException;
import dev.weft.spring.RequestLoaders;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The HTTP side: each request is a Weft unit of work (the starter's filter). */
@RestController
public class SightingsController {

    private final Sightings sightings;
    private final RequestLoaders loaders;

    public SightingsController(Sightings sightings, RequestLoaders loaders) {
        this.sightings = sightings;
        this.loaders = loaders; // a request-scoped proxy: each request gets its own loaders
    }

    /** {@code POST /sightings?report=1&species=kestrel&count=2}: 201, 400 for an invalid sighting, 500 for a dodo. */
    @PostMapping("/sightings")
    public ResponseEntity<String> report(@RequestParam int report, @RequestParam String species, @RequestParam int count) {
        sightings.report(new SightingReported(report, species, count));
        return ResponseEntity.status(HttpStatus.CREATED).body("recorded " + count + " " + species + "\n");
    }

    /** A refused emit is the client's mistake: 400, and the request (which emitted nothing) succeeds. */
    @ExceptionHandler(EventRejectedException.class)
    public ResponseEntity<String> refused(EventRejectedException e) {
        return ResponseEntity.badRequest().body(e.getMessage() + "\n");
    }

    /**
     * {@code GET /sightings/summary?species=kestrel,owl}: each species' total, each read by its own
     * task through this request's loader, sent to the database as one query.
     */
    @GetMapping("/sightings/summary")
    public Map<String, Object> summary(@RequestParam List<String> species) {
        // Take the loader on the request's thread (the request scope is bound there), use it anywhere in the request.
        Loader<String, Integer> birds = loaders.loader("birds-by-species", sightings::birdsBySpecies);
        List<Integer> totals = Par.map(species, 16, birds::load); // every task waits on the loader: one batch
        Map<String, Integer> bySpecies = new LinkedHashMap<>();
        for (int i = 0; i < species.size(); i++) bySpecies.put(species.get(i), totals.get(i));
        LoaderStatistics s = birds.statistics();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("birds", bySpecies);
        out.put("batches", s.batches());
        out.put("keys", s.keys());
        return out;
    }
}
