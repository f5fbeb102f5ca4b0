package io.quantbot.storage.daemon.testing;

import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** One AppendRunRows stream carrying the given chunks, waited for; a failed stream throws its error. */
public final class RunAppends {
    private RunAppends() {}

    public static AppendRunRowsResponse append(Channel channel, List<AppendRunRowsRequest> chunks) throws Exception {
        CompletableFuture<AppendRunRowsResponse> done = new CompletableFuture<>();
        StreamObserver<AppendRunRowsRequest> requests = ArtifactPortGrpc.newStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES)
                .appendRunRows(new StreamObserver<>() {
                    @Override
                    public void onNext(AppendRunRowsResponse value) {
                        done.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        chunks.forEach(requests::onNext);
        requests.onCompleted();
        try {
            return done.get(2, TimeUnit.MINUTES);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
