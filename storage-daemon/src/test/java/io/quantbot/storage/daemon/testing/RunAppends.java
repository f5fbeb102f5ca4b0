package io.quantbot.storage.daemon.testing;

import io.grpc.Channel;
import io.quantbot.storage.v1.AppendRunRowsRequest;
import io.quantbot.storage.v1.AppendRunRowsResponse;
import io.quantbot.storage.v1.ArtifactPortGrpc;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** One AppendRunRows stream carrying the given chunks, waited for; a failed stream throws its error. */
public final class RunAppends {
    private RunAppends() {}

    public static AppendRunRowsResponse append(Channel channel, List<AppendRunRowsRequest> chunks) throws Exception {
        return ClientStreams.send(answer -> ArtifactPortGrpc.newStub(channel).withDeadlineAfter(2, TimeUnit.MINUTES).appendRunRows(answer), chunks);
    }
}
