package io.lxdbackup.operator.testing;

import io.lxdbackup.operator.controller.CrashPoints;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One armed {@link CrashPoints} point: the first time the named resource reaches it, its
 * reconcile pauses there until {@link #release()}, then ends as a crash would (an Error no
 * operator code catches, so nothing after the point runs: no status write, no LXD or store
 * call). Stop the operator while it is paused, the way GatedStores' gates are used.
 */
public final class CrashWindow implements AutoCloseable {
    private final String point;
    private final String name;
    private final CountDownLatch reached = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    /** What ends the step at the point. */
    public static final class Crash extends Error {
        Crash(String point) {
            super("simulated crash at " + point, null, false, false);
        }
    }

    private CrashWindow(String point, String name) {
        this.point = point;
        this.name = name;
    }

    public static CrashWindow arm(String point, String resourceName) {
        CrashWindow w = new CrashWindow(point, resourceName);
        CrashPoints.install(w::reached);
        return w;
    }

    private void reached(String p, String namespace, String n) {
        if (!point.equals(p) || !name.equals(n) || reached.getCount() == 0) {
            return;
        }
        reached.countDown();
        try {
            released.await(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new Crash(point);
    }

    public boolean awaitReached(long seconds) throws InterruptedException {
        return reached.await(seconds, TimeUnit.SECONDS);
    }

    public void release() {
        released.countDown();
    }

    @Override
    public void close() {
        CrashPoints.install(null);
        released.countDown();
    }
}
