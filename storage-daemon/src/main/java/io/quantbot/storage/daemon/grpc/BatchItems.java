package io.quantbot.storage.daemon.grpc;

import io.grpc.Context;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** The items of a batch RPC (BatchCreateRuns, BatchFinishRuns): each settles alone, the answer waits for all of them. */
final class BatchItems {
    private BatchItems() {}

    /** One item's outcome: its value, or (failure non-null) why it failed. */
    record Settled<T>(T value, Throwable failure) {}

    /** Completes once every item settled, in item order; never completes exceptionally. */
    static <T> CompletableFuture<List<Settled<T>>> settle(List<CompletableFuture<T>> items) {
        List<CompletableFuture<Settled<T>>> settled = new ArrayList<>(items.size());
        for (CompletableFuture<T> item : items) {
            settled.add(item.handle(Settled::new));
        }
        return CompletableFuture.allOf(settled.toArray(CompletableFuture[]::new))
                .thenApply(ignored -> settled.stream().map(CompletableFuture::join).toList());
    }

    /**
     * The answer is built on a completion thread: run it in the call's gRPC context, so that every item's error
     * carries the call's request id (ErrorInfo metadata request_id) as the call's own error would.
     */
    static <T, R> Function<T, R> inThisCall(Function<T, R> build) {
        Context call = Context.current();
        return value -> {
            Context previous = call.attach();
            try {
                return build.apply(value);
            } finally {
                call.detach(previous);
            }
        };
    }

    /** The status the single call would have failed with (code, message, ErrorInfo, BadRequest), for the item's result. */
    static com.google.rpc.Status status(Throwable failure) {
        io.grpc.StatusRuntimeException exception = StatusMapper.toStatusException(failure);
        com.google.rpc.Status status = StatusProto.fromThrowable(exception);
        if (status != null) {
            return status;
        }
        return com.google.rpc.Status.newBuilder().setCode(exception.getStatus().getCode().value())
                .setMessage(exception.getStatus().getDescription() == null ? "" : exception.getStatus().getDescription()).build();
    }
}
