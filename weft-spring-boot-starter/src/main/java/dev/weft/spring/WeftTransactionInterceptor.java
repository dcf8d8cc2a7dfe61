package dev.weft.spring;

import dev.weft.ExceptionGroup;
import dev.weft.Scope;
import dev.weft.events.EventBus;
import java.util.ArrayDeque;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.springframework.transaction.TransactionExecution;
import org.springframework.transaction.TransactionExecutionListener;

/**
 * Runs a {@code @Transactional} method in a Weft scope placed outside Spring's transaction
 * interceptor, so the events it emits wait for the transaction: the scope ends after the commit
 * and hands them on; an exception or a rollback (also a silent one, {@code setRollbackOnly})
 * fails the scope and they are dropped.
 *
 * <p>Inside a request (or any other scope) the method's scope is a plain nested scope: its events
 * move up to the request and are dispatched after its response, if the request succeeds too.
 * Outside any scope (a scheduled job, a listener) it is a unit of work of its own: its events are
 * dispatched right after the commit. Rollbacks are seen through Spring's
 * {@link TransactionExecutionListener}, which Spring Boot registers with its transaction managers.
 */
public final class WeftTransactionInterceptor implements MethodInterceptor, TransactionExecutionListener {

    /**
     * One counter per intercepted call on this thread, innermost last: a rollback counts for the
     * innermost call, whose transaction it was (a REQUIRES_NEW method's rollback is not its caller's).
     */
    private static final ThreadLocal<ArrayDeque<int[]>> ROLLBACKS = ThreadLocal.withInitial(ArrayDeque::new);

    @Override
    public Object invoke(MethodInvocation invocation) throws Throwable {
        String name = "tx " + invocation.getMethod().getDeclaringClass().getSimpleName() + "." + invocation.getMethod().getName();
        Scope.Builder scope = Scope.current().isPresent() ? Scope.builder().name(name) : EventBus.unitOfWork(name);
        try {
            return scope.run(s -> {
                ArrayDeque<int[]> stack = ROLLBACKS.get();
                int[] rollbacks = new int[1];
                stack.addLast(rollbacks);
                Object result;
                try {
                    result = invocation.proceed();
                } catch (Exception | Error e) {
                    throw e;
                } catch (Throwable t) {
                    throw new Wrapped(t);
                } finally {
                    stack.removeLast();
                }
                if (rollbacks[0] != 0) throw new RolledBack(result);
                return result;
            });
        } catch (ExceptionGroup failed) {
            Throwable cause = failed.leaves().size() == 1 ? failed.leaves().get(0).error() : failed;
            if (cause instanceof RolledBack r) return r.value;
            if (cause instanceof Wrapped w) throw w.getCause();
            throw cause;
        }
    }

    @Override
    public void afterRollback(TransactionExecution transaction, Throwable rollbackFailure) {
        int[] innermost = ROLLBACKS.get().peekLast();
        if (innermost != null) innermost[0]++;
    }

    /** The transaction rolled back although the method returned: the scope fails, the caller gets the value. */
    // Serializable only because every Throwable is: Weft fixes no serialized form for its exceptions.
    @SuppressWarnings("serial")
    private static final class RolledBack extends RuntimeException {
        final transient Object value;

        RolledBack(Object value) {
            super("the transaction rolled back", null, false, false);
            this.value = value;
        }
    }

    /** A Throwable that is neither an Exception nor an Error, carried through the scope. */
    @SuppressWarnings("serial")
    private static final class Wrapped extends RuntimeException {
        Wrapped(Throwable t) {
            super(t);
        }
    }
}
