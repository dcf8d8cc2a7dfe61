package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.ModelProgram.Block;
import dev.weft.ModelProgram.Return;
import dev.weft.ModelProgram.Started;
import dev.weft.ModelProgram.Unit;
import dev.weft.ModelRun.Category;
import dev.weft.ModelRun.Finding;
import dev.weft.ModelState.MUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Model-based random test of scopes (S1-S8): random trees of scopes and tasks (nesting, joins of
 * earlier siblings, failures, scope and task cancels, {@code failAfter} / {@code moveOnAfter}
 * deadlines on a {@link FakeClock}, shields, {@code start}, background tasks) run on Weft, checked
 * against what a small sequential model of the contract ({@link ScopeModel}) says must come out.
 *
 * <p>For every program: what each scope returns or throws (which failures, each exactly once
 * under its task's name, no cancellation among them; {@link DeadlineExceeded}; {@link Cancelled}
 * with which reason; the value or {@code moveOn} result); how every task and body ends and, if
 * cancelled, with which reason (S4); which scopes are cancelled and why; after every step, that
 * nothing ended early; and at every scope's return, that none of its task threads is alive and no
 * task code runs any more (S1). See {@link ModelProgram} for what is generated and
 * {@link ModelRun} for how it is driven.
 *
 * <p>{@value #LOCAL_PROGRAMS} programs, or {@value #CI_PROGRAMS} with {@code CI=true}; resize with
 * {@code -Dweft.model.rounds=N}. The seed is printed; {@code -Dweft.model.seed=S} replays the
 * same programs, {@code -Dweft.model.program=P} replays one program (its seed is in the failure
 * message), {@code -Dweft.model.rounds=N} times. It runs every program even after a failure (unless one hangs), then fails with how
 * many programs showed each kind of finding and the first program of each kind.
 */
class ScopeModelTest {

    private static final int LOCAL_PROGRAMS = 300;
    private static final int CI_PROGRAMS = 10_000;
    private static final int PROGRAMS = Integer.getInteger("weft.model.rounds",
            "true".equalsIgnoreCase(System.getenv("CI")) ? CI_PROGRAMS : LOCAL_PROGRAMS);

    /** A program, its model, and the seed that draws it (after redraws of ambiguous ones). */
    private record Drawn(ModelProgram program, ScopeModel model, long seed, int redraws) {}

    @Test
    @Timeout(300)
    void s1ToS8_randomScopeTreesEndAsTheSequentialModelOfTheContractSays() {
        Long onlyProgram = Long.getLong("weft.model.program");
        long seed = Long.getLong("weft.model.seed", System.nanoTime());
        int programs = onlyProgram != null ? Integer.getInteger("weft.model.rounds", 1) : PROGRAMS;
        System.out.printf("ScopeModelTest: seed %d, %d programs (replay with -Dweft.model.seed=%d)%n", seed, programs, seed);
        Random seeds = new Random(seed);
        Map<Category, Integer> programsWith = new EnumMap<>(Category.class);
        Map<Category, String> firstOf = new EnumMap<>(Category.class);
        int failed = 0;
        int redraws = 0;
        int ran = 0;
        long units = 0;
        long steps = 0;
        Map<String, Integer> outcomes = new TreeMap<>();
        Map<String, Integer> ends = new TreeMap<>();
        long start = System.nanoTime();
        for (int i = 0; i < programs; i++) {
            Drawn d = draw(onlyProgram != null ? onlyProgram : seeds.nextLong());
            redraws += d.redraws();
            units += d.model().units().size();
            steps += d.program().steps;
            count(d.model(), outcomes, ends);
            List<Finding> findings = new ModelRun(d.program(), d.model()).runAndCheck();
            ran++;
            if (findings.isEmpty()) continue;
            failed++;
            Set<Category> kinds = EnumSet.noneOf(Category.class);
            findings.forEach(f -> kinds.add(f.category()));
            // A joiner that saw the failure first also changes reasons and ends downstream: one cause.
            if (kinds.contains(Category.S2_JOINER_SAW_FAILURE_FIRST)) kinds.remove(Category.OTHER);
            int index = i;
            for (Category c : kinds) {
                programsWith.merge(c, 1, Integer::sum);
                firstOf.computeIfAbsent(c, k -> report(seed, index, d, findings));
            }
            if (kinds.contains(Category.HANG)) break; // its threads may still be stuck: stop here
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        String summary = String.format("ScopeModelTest: seed %d, %d programs (%d units, %d steps; %d ambiguous ones redrawn) in %.1f s;"
                        + " programs with findings: %d %s (rerun with -Dweft.model.seed=%d)",
                seed, ran, units, steps, redraws, seconds, failed, programsWith, seed);
        System.out.println(summary);
        System.out.println("ScopeModelTest: scope outcomes " + outcomes + "; unit ends " + ends);
        StringBuilder details = new StringBuilder(summary);
        firstOf.forEach((c, text) -> details.append("\n\nfirst program with ").append(c).append(":\n").append(text));
        assertThat(failed).as(details.toString()).isZero();
    }

    /** What the programs exercised, by the model's account: scope outcomes, and unit ends with the first reason kind. */
    private static void count(ScopeModel m, Map<String, Integer> outcomes, Map<String, Integer> ends) {
        for (ModelState.MScope s : m.scopes()) {
            String kind = switch (s.outcome) {
                case Predicted.ValueOut v -> v.value().startsWith("moveOn(cut") ? "moveOn cut short"
                        : v.value().startsWith("moveOn(timedOut=true") ? "moveOn timed out" : "value";
                case Predicted.GroupOut g -> "group";
                case Predicted.DeadlineOut d -> "DeadlineExceeded";
                case Predicted.CancelledOut c -> "Cancelled";
            };
            outcomes.merge(kind, 1, Integer::sum);
        }
        for (MUnit u : m.units()) {
            if (u.spec.action instanceof ModelProgram.Join j && m.unit(j.target()).end.kind == Predicted.EndKind.FAILED) {
                ends.merge("(joins of a failing sibling)", 1, Integer::sum);
            }
            String kind = u.end.kind == Predicted.EndKind.CANCELLED
                    ? "cancelled " + u.end.reasons.iterator().next().kind() : u.end.kind.name().toLowerCase();
            ends.merge(kind, 1, Integer::sum);
        }
    }

    private static String report(long seed, int index, Drawn d, List<Finding> findings) {
        StringBuilder b = new StringBuilder();
        b.append("program #").append(index).append(" of seed ").append(seed).append(", program seed ").append(d.seed())
                .append(" (replay it alone with -Dweft.model.program=").append(d.seed()).append(")\n");
        b.append(d.program().describe());
        Set<String> distinct = new LinkedHashSet<>();
        findings.forEach(f -> distinct.add(f.toString()));
        int n = 0;
        for (String f : distinct) {
            if (n++ == 12) {
                b.append("  ... and ").append(distinct.size() - 12).append(" more\n");
                break;
            }
            b.append("  - ").append(f).append('\n');
        }
        return b.toString();
    }

    /**
     * Draws the program of {@code seed}, repairing what would never end (a blocked unit nothing
     * cancels returns instead) and background tasks swept before they may have run (they block
     * instead), and redrawing from a seed derived from it when the contract leaves the outcome open.
     */
    static Drawn draw(long seed) {
        long s = seed;
        int redraws = 0;
        while (true) {
            ModelProgram p = ModelProgram.generate(s);
            ScopeModel model = null;
            for (int attempt = 0; attempt < 100 && model == null; attempt++) {
                try {
                    ScopeModel m = ScopeModel.predict(p);
                    if (!repairUnsureStarts(p, m)) model = m;
                } catch (ScopeModel.Stuck stuck) {
                    if (stuck.blocked.isEmpty()) break;
                    repairBlocked(p, stuck.blocked.get(0));
                } catch (ScopeModel.Ambiguous ambiguous) {
                    break;
                }
            }
            if (model != null) return new Drawn(p, model, s, redraws);
            redraws++;
            s = new Random(s).nextLong();
        }
    }

    /** A unit blocked forever returns instead. */
    private static void repairBlocked(ModelProgram p, Unit u) {
        if (u.action instanceof Started st) {
            u.action = new Started(st.gate(), st.stubborn(), null, new Return());
        } else {
            p.replaceAction(u, new Return());
        }
    }

    /** A background task swept during setup may never run: give it nothing to do but block. */
    private static boolean repairUnsureStarts(ModelProgram p, ScopeModel m) {
        List<Unit> unsure = new ArrayList<>();
        for (MUnit u : m.units()) {
            if (u.mayNotRun && !(u.spec.action instanceof Block) && !(u.spec.action instanceof Return)) unsure.add(u.spec);
        }
        unsure.forEach(u -> p.replaceAction(u, new Block(true, ModelProgram.OnCancel.PROPAGATE)));
        return !unsure.isEmpty();
    }
}
