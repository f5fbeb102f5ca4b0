package io.quantbot.storage.daemon.testing;

import io.grpc.Channel;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import io.quantbot.storage.v1.PublishArtifactRequest;
import io.quantbot.storage.v1.PublishArtifactResponse;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One PublishArtifact stream carrying the given messages, waited for; a failed stream throws its error (a StatusRuntimeException). */
public final class Publishes {
    private Publishes() {}

    public static PublishArtifactResponse publish(Channel channel, List<PublishArtifactRequest> messages) throws Exception {
        return ClientStreams.send(answer -> ArtifactPortGrpc.newStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).publishArtifact(answer), messages);
    }
}
