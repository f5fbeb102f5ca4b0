package io.quantbot.storage.daemon.testing;

import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/** A client stream that gets one answer: sends the messages, completes, waits for the answer; a failed stream throws its error. */
public final class ClientStreams {
    private ClientStreams() {}

    public static <Q, A> A send(Function<StreamObserver<A>, StreamObserver<Q>> open, List<Q> messages) throws Exception {
        CompletableFuture<A> done = new CompletableFuture<>();
        StreamObserver<Q> requests = open.apply(new StreamObserver<>() {
            @Override
            public void onNext(A value) {
                done.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
        });
        messages.forEach(requests::onNext);
        requests.onCompleted();
        try {
            return done.get(2, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
