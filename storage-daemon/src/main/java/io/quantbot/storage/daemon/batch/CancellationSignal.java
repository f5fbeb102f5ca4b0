package io.quantbot.storage.daemon.batch;

import java.util.ArrayList;
import java.util.List;

/** A cancellation the holder triggers itself; listeners run once, on the cancelling thread. */
public final class CancellationSignal implements BatchCallOptions.Cancellation {
    private final List<Runnable> listeners = new ArrayList<>();
    private boolean cancelled;

    @Override
    public void addListener(Runnable listener) {
        synchronized (this) {
            if (!cancelled) {
                listeners.add(listener);
                return;
            }
        }
        listener.run();
    }

    public void cancel() {
        List<Runnable> toRun;
        synchronized (this) {
            if (cancelled) {
                return;
            }
            cancelled = true;
            toRun = List.copyOf(listeners);
            listeners.clear();
        }
        toRun.forEach(Runnable::run);
    }

    public synchronized boolean isCancelled() {
        return cancelled;
    }
}
