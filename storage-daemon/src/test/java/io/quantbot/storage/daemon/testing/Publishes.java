package io.quantbot.storage.daemon.testing;

import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.PublishArtifactRequest;
import io.quantbot.storage.v1.PublishArtifactResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** One PublishArtifact stream carrying the given messages, waited for; a failed stream throws its error (a StatusRuntimeException). */
public final class Publishes {
    private Publishes() {}

    public static PublishArtifactResponse publish(Channel channel, List<PublishArtifactRequest> messages) throws Exception {
        CompletableFuture<PublishArtifactResponse> done = new CompletableFuture<>();
        StreamObserver<PublishArtifactRequest> stream = ArtifactPortGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS)
                .publishArtifact(new StreamObserver<>() {
                    @Override
                    public void onNext(PublishArtifactResponse value) {
                        done.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        messages.forEach(stream::onNext);
        stream.onCompleted();
        try {
            return done.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }
}
