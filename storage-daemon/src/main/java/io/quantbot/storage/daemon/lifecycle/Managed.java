package io.quantbot.storage.daemon.lifecycle;

/** A component that owns threads, processes or connections: started in order, stopped in reverse. */
public interface Managed {
    void start() throws Exception;

    void stop() throws Exception;
}
