package io.quantbot.storage.daemon.state;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.StateEntry;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.Value;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** The compare-and-set counter the concurrency tests race on (namespace counters, key c). */
final class StateCounters {
    private StateCounters() {}

    /** One compare-and-set increment of counters/c: read, write with the version read, again after each ABORTED (counted). */
    static void incrementOnce(StatePortGrpc.StatePortBlockingStub stub, AtomicLong conflicts) {
        while (true) {
            var call = stub.withDeadlineAfter(30, TimeUnit.SECONDS);
            StateEntry current = call.get(GetRequest.newBuilder().setNamespace("counters").setKey("c").build()).getEntry();
            long next = Long.parseLong(current.getValue().getJson()) + 1;
            try {
                call.set(SetRequest.newBuilder().setNamespace("counters").setKey("c")
                        .setValue(Value.newBuilder().setJson(Long.toString(next)))
                        .setExpectedVersion(current.getVersion())
                        .build());
                return;
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.ABORTED) {
                    throw e;
                }
                conflicts.incrementAndGet();
            }
        }
    }
}
