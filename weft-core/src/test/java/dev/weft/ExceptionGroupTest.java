package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.weft.ExceptionGroup.Failure;
import dev.weft.ExceptionGroup.Split;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ExceptionGroupTest {

    private static Failure f(String task, Throwable error) {
        return new Failure(task, error);
    }

    private static ExceptionGroup group(String message, Failure... failures) {
        return new ExceptionGroup(message, List.of(failures));
    }

    private static List<Throwable> leafErrors(ExceptionGroup g) {
        return g.leaves().stream().map(Failure::error).toList();
    }

    private static List<String> leafTasks(ExceptionGroup g) {
        return g.leaves().stream().map(Failure::taskName).toList();
    }

    // outer: [a: io1, child: inner[b: iae, c: io2], d: ise]
    private final IOException io1 = new IOException("io1");
    private final IOException io2 = new IOException("io2");
    private final IllegalArgumentException iae = new IllegalArgumentException("iae");
    private final IllegalStateException ise = new IllegalStateException("ise");
    private final ExceptionGroup inner = group("inner", f("b", iae), f("c", io2));
    private final ExceptionGroup outer = group("outer", f("a", io1), f("child", inner), f("d", ise));

    @Nested
    class Construction {
        @Test
        void rejectsNullMessage() {
            assertThatThrownBy(() -> new ExceptionGroup(null, List.of(f("a", io1))))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("message is null");
        }

        @Test
        void rejectsNullList() {
            assertThatThrownBy(() -> new ExceptionGroup("m", null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("failures is null");
        }

        @Test
        void rejectsEmptyListSayingWhatToDo() {
            assertThatThrownBy(() -> new ExceptionGroup("m", List.of()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("at least one Failure")
                    .hasMessageContaining("if nothing failed, throw nothing");
        }

        @Test
        void rejectsNullElementNamingItsIndex() {
            assertThatThrownBy(() -> new ExceptionGroup("m", Arrays.asList(f("a", io1), null)))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("failures[1] is null");
        }

        @Test
        void failureRejectsNulls() {
            assertThatThrownBy(() -> new Failure(null, io1))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("UNNAMED_TASK");
            assertThatThrownBy(() -> new Failure("t", null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("error is null for task 't'");
        }

        @Test
        void ofNamesEveryMemberUnnamed() {
            ExceptionGroup g = ExceptionGroup.of("m", io1, ise);
            assertThat(g.failures()).containsExactly(f(ExceptionGroup.UNNAMED_TASK, io1), f(ExceptionGroup.UNNAMED_TASK, ise));
            assertThat(ExceptionGroup.UNNAMED_TASK).isEqualTo("<unnamed>");
        }

        @Test
        void ofRejectsNoErrorsAndNullErrors() {
            assertThatThrownBy(() -> ExceptionGroup.of("m")).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> ExceptionGroup.of("m", io1, null))
                    .isInstanceOf(NullPointerException.class).hasMessageContaining("errors[1] is null");
            assertThatThrownBy(() -> ExceptionGroup.of("m", (Throwable[]) null)).isInstanceOf(NullPointerException.class);
        }

        @Test
        void isUncheckedAndKeepsItsMessage() {
            assertThat(outer).isInstanceOf(RuntimeException.class);
            assertThat(outer.message()).isEqualTo("outer");
            assertThat(outer.getCause()).isNull();
        }
    }

    @Nested
    class Members {
        @Test
        void failuresAreACopyInOrderAndImmutable() {
            List<Failure> input = new ArrayList<>(List.of(f("a", io1), f("b", ise)));
            ExceptionGroup g = new ExceptionGroup("m", input);
            input.clear();
            assertThat(g.failures()).containsExactly(f("a", io1), f("b", ise));
            assertThatThrownBy(() -> g.failures().add(f("c", iae))).isInstanceOf(UnsupportedOperationException.class);
        }

        @Test
        void exceptionsAreTheDirectErrors() {
            assertThat(outer.exceptions()).containsExactly(io1, inner, ise);
            assertThatThrownBy(() -> outer.exceptions().clear()).isInstanceOf(UnsupportedOperationException.class);
        }

        @Test
        void leavesFlattenDepthFirstKeepingInnermostTaskNames() {
            assertThat(outer.leaves()).containsExactly(f("a", io1), f("b", iae), f("c", io2), f("d", ise));
            assertThatThrownBy(() -> outer.leaves().clear()).isInstanceOf(UnsupportedOperationException.class);
        }

        @Test
        void directMembersAreSuppressedExceptions() {
            assertThat(outer.getSuppressed()).containsExactly(io1, inner, ise);
            assertThat(inner.getSuppressed()).containsExactly(iae, io2);
        }

        @Test
        void singleUnwrapsTheOnlyLeafThroughNesting() {
            ExceptionGroup deep = group("top", f("x", group("mid", f("y", group("low", f("z", io1))))));
            assertThat(deep.single()).isSameAs(io1);
            assertThat(ExceptionGroup.of("m", ise).single()).isSameAs(ise);
        }

        @Test
        void singleWithSeveralLeavesSaysHowManyAndWhatToUse() {
            ExceptionGroup two = group("top", f("x", group("mid", f("y", io1), f("z", io2))));
            assertThatThrownBy(two::single)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("holds 2")
                    .hasMessageContaining("leaves()")
                    .hasMessageContaining("handler()");
        }
    }

    @Nested
    class SubgroupAndSplit {
        @Test
        void subgroupByTypeKeepsStructureMessagesAndTaskNames() {
            ExceptionGroup io = outer.subgroup(IOException.class).orElseThrow();
            assertThat(io.message()).isEqualTo("outer");
            assertThat(io.failures()).hasSize(2);
            assertThat(io.failures().get(0)).isEqualTo(f("a", io1));
            assertThat(io.failures().get(1).taskName()).isEqualTo("child");
            ExceptionGroup rebuiltInner = (ExceptionGroup) io.failures().get(1).error();
            assertThat(rebuiltInner).isNotSameAs(inner);
            assertThat(rebuiltInner.message()).isEqualTo("inner");
            assertThat(rebuiltInner.failures()).containsExactly(f("c", io2));
        }

        @Test
        void subgroupIsEmptyWhenNothingMatches() {
            assertThat(outer.subgroup(InterruptedException.class)).isEmpty();
            assertThat(outer.subgroup(e -> false)).isEmpty();
        }

        @Test
        void subgroupReturnsThisWhenEverythingMatches() {
            assertThat(outer.subgroup(Throwable.class)).containsSame(outer);
            assertThat(outer.subgroup(Exception.class)).containsSame(outer);
            assertThat(outer.subgroup(e -> !(e instanceof ExceptionGroup))).containsSame(outer);
            assertThat(outer.subgroup(ExceptionGroup.class)).containsSame(outer);
        }

        @Test
        void typeConditionDoesNotTakeAGroupJustBecauseGroupsAreRuntimeExceptions() {
            ExceptionGroup runtime = outer.subgroup(RuntimeException.class).orElseThrow();
            assertThat(leafErrors(runtime)).containsExactly(iae, ise);
        }

        @Test
        void predicateSeesGroupsAndTakesAMatchingNestedGroupWhole() {
            ExceptionGroup g = outer.subgroup(e -> e == inner || e == io1).orElseThrow();
            assertThat(g.failures()).containsExactly(f("a", io1), f("child", inner));
            assertThat(g.failures().get(1).error()).isSameAs(inner);
        }

        @Test
        void subgroupOfAGroupSubtypeMatchesNestedGroupsOfThatType() {
            class Child extends ExceptionGroup {
                Child(String m, List<Failure> fs) {
                    super(m, fs);
                }
            }
            Child child = new Child("child", List.of(f("x", io1), f("y", ise)));
            ExceptionGroup g = group("top", f("c", child), f("d", iae));
            Split split = g.split(Child.class);
            assertThat(split.matched().orElseThrow().failures()).containsExactly(f("c", child));
            assertThat(split.rest().orElseThrow().failures()).containsExactly(f("d", iae));
        }

        @Test
        void splitPartitionsEveryLeafOnceKeepingStructureOnBothSides() {
            Split split = outer.split(IOException.class);
            ExceptionGroup matched = split.matched().orElseThrow();
            ExceptionGroup rest = split.rest().orElseThrow();
            assertThat(leafErrors(matched)).containsExactly(io1, io2);
            assertThat(leafTasks(matched)).containsExactly("a", "c");
            assertThat(leafErrors(rest)).containsExactly(iae, ise);
            assertThat(leafTasks(rest)).containsExactly("b", "d");
            assertThat(rest.failures().get(0).taskName()).isEqualTo("child");
            assertThat(((ExceptionGroup) rest.failures().get(0).error()).message()).isEqualTo("inner");
            assertThat(matched.message()).isEqualTo("outer");
            assertThat(rest.message()).isEqualTo("outer");
        }

        @Test
        void splitKeepsAnUntouchedNestedGroupAsTheSameInstance() {
            Split split = outer.split(IllegalStateException.class);
            assertThat(split.matched().orElseThrow().failures()).containsExactly(f("d", ise));
            assertThat(split.rest().orElseThrow().failures()).containsExactly(f("a", io1), f("child", inner));
        }

        @Test
        void splitHasAnEmptySideWhenEverythingOrNothingMatches() {
            assertThat(outer.split(Exception.class)).isEqualTo(new Split(Optional.of(outer), Optional.empty()));
            assertThat(outer.split(Error.class)).isEqualTo(new Split(Optional.empty(), Optional.of(outer)));
        }

        @Test
        void splitByPredicate() {
            Split split = outer.split(e -> e.getMessage().startsWith("io"));
            assertThat(leafErrors(split.matched().orElseThrow())).containsExactly(io1, io2);
            assertThat(leafErrors(split.rest().orElseThrow())).containsExactly(iae, ise);
        }

        @Test
        void rebuiltGroupsCopyStackTraceCauseAndExtraSuppressed() {
            RuntimeException cause = new RuntimeException("why");
            RuntimeException note = new RuntimeException("cleanup failed");
            ExceptionGroup g = group("m", f("a", io1), f("b", ise));
            g.initCause(cause);
            g.addSuppressed(note);
            Split split = g.split(IOException.class);
            for (ExceptionGroup side : List.of(split.matched().orElseThrow(), split.rest().orElseThrow())) {
                assertThat(side).isNotSameAs(g);
                assertThat(side.getStackTrace()).isEqualTo(g.getStackTrace());
                assertThat(side.getCause()).isSameAs(cause);
                assertThat(side.getSuppressed()).contains(note);
            }
            assertThat(split.matched().orElseThrow().getSuppressed()).containsExactly(io1, note);
        }

        @Test
        void aSubclassKeepsItsTypeInRebuiltGroupsByOverridingDerive() {
            class Tagged extends ExceptionGroup {
                Tagged(String m, List<Failure> fs) {
                    super(m, fs);
                }

                @Override
                protected ExceptionGroup derive(List<Failure> subset) {
                    return new Tagged(message(), subset);
                }
            }
            Tagged g = new Tagged("t", List.of(f("a", io1), f("b", ise)));
            ExceptionGroup io = g.subgroup(IOException.class).orElseThrow();
            assertThat(io).isInstanceOf(Tagged.class).isNotSameAs(g);
            assertThat(io.failures()).containsExactly(f("a", io1));
            assertThat(io.getStackTrace()).isEqualTo(g.getStackTrace());
        }

        @Test
        void nullConditionsAreRejected() {
            assertThatThrownBy(() -> outer.split((Class<? extends Throwable>) null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> outer.subgroup((java.util.function.Predicate<Throwable>) null))
                    .isInstanceOf(NullPointerException.class);
        }
    }

    @Nested
    class HandlerSemantics {
        private final List<String> calls = new ArrayList<>();

        @Test
        void runsEachHandlerAtMostOnceInOrderWithWhatIsStillUnhandled() {
            List<ExceptionGroup> seen = new ArrayList<>();
            outer.handler()
                    .on(IOException.class, g -> { calls.add("io"); seen.add(g); })
                    .on(Exception.class, g -> { calls.add("any"); seen.add(g); })
                    .rethrowUnhandled();
            assertThat(calls).containsExactly("io", "any");
            assertThat(leafErrors(seen.get(0))).containsExactly(io1, io2);
            assertThat(leafErrors(seen.get(1))).containsExactly(iae, ise);
            assertThat(leafTasks(seen.get(1))).containsExactly("b", "d");
        }

        @Test
        void handlerWithNothingLeftToMatchDoesNotRun() {
            outer.handler()
                    .on(Exception.class, g -> calls.add("any"))
                    .on(IOException.class, g -> calls.add("io"))
                    .on(Error.class, g -> calls.add("error"))
                    .rethrowUnhandled();
            assertThat(calls).containsExactly("any");
        }

        @Test
        void handlerWhoseTypeMatchesNothingDoesNotRun() {
            ExceptionGroup g = ExceptionGroup.of("m", io1);
            g.handler().on(Error.class, x -> calls.add("error")).on(IOException.class, x -> calls.add("io")).rethrowUnhandled();
            assertThat(calls).containsExactly("io");
        }

        @Test
        void rethrowsTheUnhandledRestWithTheOriginalMessage() {
            ExceptionGroup thrown = catchThrowableOfType(ExceptionGroup.class,
                    () -> outer.handler().on(IOException.class, g -> calls.add("io")).rethrowUnhandled());
            assertThat(calls).containsExactly("io");
            assertThat(thrown.message()).isEqualTo("outer");
            assertThat(leafErrors(thrown)).containsExactly(iae, ise);
            assertThat(thrown.failures().get(0).taskName()).isEqualTo("child");
            assertThat(thrown.getStackTrace()).isEqualTo(outer.getStackTrace());
        }

        @Test
        void rethrowsTheSameGroupWhenNothingMatched() {
            assertThatThrownBy(() -> outer.handler().on(Error.class, g -> calls.add("error")).rethrowUnhandled())
                    .isSameAs(outer);
            assertThatThrownBy(() -> outer.handler().rethrowUnhandled()).isSameAs(outer);
            assertThat(calls).isEmpty();
        }

        @Test
        void handlerExceptionsAreCollectedWithTheUnhandledRestAndLaterHandlersStillRun() {
            Exception checked = new Exception("checked from handler");
            ExceptionGroup thrown = catchThrowableOfType(ExceptionGroup.class, () -> outer.handler()
                    .on(IOException.class, g -> { calls.add("io"); throw checked; })
                    .on(IllegalArgumentException.class, g -> calls.add("iae"))
                    .rethrowUnhandled());
            assertThat(calls).containsExactly("io", "iae");
            assertThat(thrown.failures()).hasSize(2);
            assertThat(thrown.failures().get(0)).isEqualTo(f(ExceptionGroup.HANDLER_TASK, checked));
            assertThat(thrown.failures().get(1).taskName()).isEqualTo(ExceptionGroup.UNHANDLED_TASK);
            ExceptionGroup rest = (ExceptionGroup) thrown.failures().get(1).error();
            assertThat(rest.message()).isEqualTo("outer");
            assertThat(rest.leaves()).containsExactly(f("d", ise));
            assertThat(thrown.message()).isEqualTo("1 handler threw while handling: outer");
        }

        @Test
        void handlerExceptionsAloneAreStillThrownAsAGroupInHandlerOrder() {
            IllegalStateException first = new IllegalStateException("first");
            Error second = new AssertionError("second");
            ExceptionGroup thrown = catchThrowableOfType(ExceptionGroup.class, () -> outer.handler()
                    .on(IOException.class, g -> { throw first; })
                    .on(Exception.class, g -> { throw second; })
                    .rethrowUnhandled());
            assertThat(thrown.failures()).containsExactly(f("<handler>", first), f("<handler>", second));
            assertThat(thrown.message()).startsWith("2 handlers threw");
        }

        @Test
        void returnsNormallyWhenEverythingIsHandled() {
            outer.handler()
                    .on(IOException.class, g -> calls.add("io"))
                    .on(IllegalArgumentException.class, g -> calls.add("iae"))
                    .on(IllegalStateException.class, g -> calls.add("ise"))
                    .rethrowUnhandled();
            assertThat(calls).containsExactly("io", "iae", "ise");
        }

        @Test
        void handlerThrowingTheGroupItWasGivenReRaisesItInPlace() {
            ExceptionGroup thrown = catchThrowableOfType(ExceptionGroup.class, () -> outer.handler()
                    .on(IOException.class, g -> { throw g; })
                    .on(IllegalStateException.class, g -> calls.add("ise"))
                    .rethrowUnhandled());
            assertThat(calls).containsExactly("ise");
            assertThat(thrown.message()).isEqualTo("outer");
            assertThat(thrown.leaves()).containsExactly(f("a", io1), f("b", iae), f("c", io2));
        }

        @Test
        void handlerThrowingInterruptedExceptionRestoresTheInterruptFlag() {
            InterruptedException interrupted = new InterruptedException("stop");
            try {
                ExceptionGroup thrown = catchThrowableOfType(ExceptionGroup.class,
                        () -> outer.handler().on(Exception.class, g -> { throw interrupted; }).rethrowUnhandled());
                assertThat(thrown.single()).isSameAs(interrupted);
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
        }

        @Test
        void predicateHandlerCanTakeANestedGroupWhole() {
            List<ExceptionGroup> seen = new ArrayList<>();
            assertThatThrownBy(() -> outer.handler().on(e -> e == inner, seen::add).rethrowUnhandled())
                    .isInstanceOfSatisfying(ExceptionGroup.class,
                            rest -> assertThat(rest.failures()).containsExactly(f("a", io1), f("d", ise)));
            assertThat(seen).hasSize(1);
            assertThat(seen.get(0).failures()).containsExactly(f("child", inner));
        }

        @Test
        void rethrowUnhandledWorksOnlyOnce() {
            ExceptionGroup.Handler handler = outer.handler().on(Exception.class, g -> calls.add("any"));
            handler.rethrowUnhandled();
            assertThatThrownBy(handler::rethrowUnhandled)
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("already called");
            assertThatThrownBy(() -> handler.on(Error.class, g -> { }))
                    .isInstanceOf(IllegalStateException.class);
            assertThat(calls).containsExactly("any");
        }

        @Test
        void rejectsNullArguments() {
            assertThatThrownBy(() -> outer.handler().on(IOException.class, null)).isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> outer.handler().on((Class<Throwable>) null, g -> { }))
                    .isInstanceOf(NullPointerException.class);
        }
    }

    @Nested
    class Text {
        private static final StackTraceElement[] ONE_FRAME = {new StackTraceElement("app.Main", "run", "Main.java", 7)};

        private static <T extends Throwable> T at(T t, String method) {
            t.setStackTrace(new StackTraceElement[] {new StackTraceElement("app.Task", method, "Task.java", 1)});
            return t;
        }

        private static String printToWriter(Throwable t) {
            StringWriter out = new StringWriter();
            t.printStackTrace(new PrintWriter(out));
            return out.toString().replace(System.lineSeparator(), "\n");
        }

        private static String printToStream(Throwable t) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            t.printStackTrace(new PrintStream(bytes, true, StandardCharsets.UTF_8));
            return bytes.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n");
        }

        @Test
        void printsEveryMemberAsANumberedTreeWithTaskNamesAndNestedGroupsDeeper() {
            ExceptionGroup child = at(group("1 failure in scope 'child'", f("lookup-c", at(new IllegalStateException("bad"), "c"))), "child");
            ExceptionGroup top = group("2 failures in scope 'fetch'",
                    f("lookup-a", at(new IOException("boom"), "a")), f("sub", child));
            top.setStackTrace(ONE_FRAME);
            String expected = """
                    dev.weft.ExceptionGroup: 2 failures in scope 'fetch'
                    \tat app.Main.run(Main.java:7)
                      +-+---------------- 1/2: task 'lookup-a' ----------------
                        | java.io.IOException: boom
                        | \tat app.Task.a(Task.java:1)
                        +---------------- 2/2: task 'sub' ----------------
                        | dev.weft.ExceptionGroup: 1 failure in scope 'child'
                        | \tat app.Task.child(Task.java:1)
                        +-+---------------- 1/1: task 'lookup-c' ----------------
                          | java.lang.IllegalStateException: bad
                          | \tat app.Task.c(Task.java:1)
                          +------------------------------------
                        +------------------------------------
                    """;
            assertThat(printToWriter(top)).isEqualTo(expected);
            assertThat(printToStream(top)).isEqualTo(expected);
        }

        @Test
        void membersAreNotPrintedAgainAsSuppressedButOtherSuppressedAndTheCauseAre() {
            ExceptionGroup g = group("m", f("a", at(new IOException("boom"), "a")));
            g.setStackTrace(ONE_FRAME);
            g.addSuppressed(at(new RuntimeException("cleanup"), "close"));
            g.initCause(at(new IllegalStateException("root"), "root"));
            String text = printToWriter(g);
            assertThat(text.split("java.io.IOException: boom", -1)).hasSize(2);
            assertThat(text).doesNotContain("Suppressed: java.io.IOException")
                    .contains("\tSuppressed: java.lang.RuntimeException: cleanup\n\t\tat app.Task.close(Task.java:1)\n")
                    .endsWith("Caused by: java.lang.IllegalStateException: root\n\tat app.Task.root(Task.java:1)\n");
        }

        @Test
        void aCycleThroughTheCauseIsCutOff() {
            ExceptionGroup inside = group("inside", f("x", at(new IOException("x"), "x")));
            ExceptionGroup top = group("top", f("in", inside));
            inside.initCause(top);
            assertThat(printToWriter(top)).contains("Caused by: [CIRCULAR REFERENCE: dev.weft.ExceptionGroup: top");
        }

        @Test
        void getMessageSummarisesTheDirectMembers() {
            ExceptionGroup g = group("2 failures in scope 'fetch'",
                    f("lookup-a", new IOException("boom")), f("lookup-b", new IllegalStateException("bad\nsecond line")));
            assertThat(g.getMessage())
                    .isEqualTo("2 failures in scope 'fetch' (lookup-a: IOException: boom; lookup-b: IllegalStateException: bad)");
            assertThat(g).hasToString("dev.weft.ExceptionGroup: " + g.getMessage());
            assertThat(group("top", f("sub", inner), f("n", new RuntimeException())).getMessage())
                    .isEqualTo("top (sub: ExceptionGroup: inner; n: RuntimeException)");
        }

        @Test
        void getMessageIsBounded() {
            List<Failure> many = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                many.add(f("t" + i, new IOException("x".repeat(500))));
            }
            String message = new ExceptionGroup("m", many).getMessage();
            assertThat(message).contains("t4: IOException: " + "x".repeat(100) + "...;").doesNotContain("t5:")
                    .endsWith("; and 3 more)");
            assertThat(message.length()).isLessThan(800);
        }
    }
}
