package io.quantbot.storage.daemon.grpc;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/** Completes a unary call from a future: the writes' futures complete after their commit, on a completion thread. */
final class Responses {
    private Responses() {}

    static <T, R> void whenDone(CompletableFuture<T> future, Function<T, R> toResponse, StreamObserver<R> observer) {
        future.whenComplete((result, failure) -> {
            if (failure != null) {
                observer.onError(StatusMapper.toStatusException(failure));
                return;
            }
            R response;
            try {
                response = toResponse.apply(result);
            } catch (RuntimeException e) {
                observer.onError(StatusMapper.toStatusException(e));
                return;
            }
            if (observer instanceof ServerCallStreamObserver<R> call && call.isCancelled()) {
                return;
            }
            observer.onNext(response);
            observer.onCompleted();
        });
    }

    static void fail(StreamObserver<?> observer, RuntimeException failure) {
        observer.onError(StatusMapper.toStatusException(failure));
    }
}
