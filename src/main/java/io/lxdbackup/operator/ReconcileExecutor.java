package io.lxdbackup.operator;

import java.util.Set;
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The pool every controller's reconciles run on: a fixed number of threads, as the Java Operator
 * SDK's own default, with one difference. When all threads are busy and reconciles queue, those
 * of the schedule controllers are taken before the others (first come, first served within each
 * group). A schedule's reconcile at its fire time only creates that run's children, which is
 * quick, while the children it created before (snapshots, exports) may hold threads for the
 * length of an LXD call; without this, a run due at the top of the hour waited behind the
 * reconciles of the previous run's children and started seconds late (see
 * docs/benchmarks.md).
 *
 * <p>The SDK describes each reconcile task as {@code "<controller name> -> <resource>"}; a task
 * it describes otherwise simply keeps the normal rank.
 */
final class ReconcileExecutor extends ThreadPoolExecutor {
    private final Set<String> firstControllers;
    private final AtomicLong sequence = new AtomicLong();
    private final AtomicLong firstTasks = new AtomicLong();

    ReconcileExecutor(int threads, Set<String> firstControllers) {
        super(threads, threads, 0L, TimeUnit.MILLISECONDS, new PriorityBlockingQueue<>(), threadFactory());
        this.firstControllers = Set.copyOf(firstControllers);
    }

    @Override
    public void execute(Runnable task) {
        boolean first = first(task);
        if (first) {
            firstTasks.incrementAndGet();
        }
        super.execute(new Ranked(task, first ? 0 : 1, sequence.getAndIncrement()));
    }

    /** How many tasks were recognised as reconciles of the controllers that go first. */
    long firstTasks() {
        return firstTasks.get();
    }

    boolean first(Runnable task) {
        String description = task.toString();
        int arrow = description.indexOf(" -> ");
        return arrow > 0 && firstControllers.contains(description.substring(0, arrow));
    }

    private static ThreadFactory threadFactory() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "reconciler-" + n.incrementAndGet());
            t.setDaemon(false);
            return t;
        };
    }

    /** A task with its rank (0 first) and its arrival order within the rank. */
    record Ranked(Runnable task, int rank, long order) implements Runnable, Comparable<Ranked> {
        @Override
        public void run() {
            task.run();
        }

        @Override
        public int compareTo(Ranked o) {
            return rank != o.rank ? Integer.compare(rank, o.rank) : Long.compare(order, o.order);
        }

        @Override
        public String toString() {
            return task.toString();
        }
    }
}
