package io.quantbot.storage.daemon.grpc;

import static java.util.Objects.requireNonNull;

import io.grpc.stub.StreamObserver;
import io.quantbot.storage.daemon.state.StateEntry;
import io.quantbot.storage.daemon.state.StateOperation;
import io.quantbot.storage.daemon.state.StateService;
import io.quantbot.storage.v1.BatchGetRequest;
import io.quantbot.storage.v1.BatchGetResponse;
import io.quantbot.storage.v1.BatchSetRequest;
import io.quantbot.storage.v1.BatchSetResponse;
import io.quantbot.storage.v1.DeleteRequest;
import io.quantbot.storage.v1.DeleteResponse;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.GetResponse;
import io.quantbot.storage.v1.ListRequest;
import io.quantbot.storage.v1.ListResponse;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.SetResponse;
import io.quantbot.storage.v1.StatePortGrpc;
import io.quantbot.storage.v1.TransactionRequest;
import io.quantbot.storage.v1.TransactionResponse;
import jakarta.inject.Inject;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** StatePort over gRPC: a thin adapter over {@link StateService}. */
final class StatePortService extends StatePortGrpc.StatePortImplBase {
    private final StateService state;

    @Inject
    StatePortService(StateService state) {
        this.state = requireNonNull(state, "state is null");
    }

    @Override
    public void get(GetRequest request, StreamObserver<GetResponse> observer) {
        StateEntry entry;
        try {
            entry = state.get(request.getNamespace(), request.getKey());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        observer.onNext(GetResponse.newBuilder().setEntry(StateProtoMapper.toProto(entry, true)).build());
        observer.onCompleted();
    }

    @Override
    public void batchGet(BatchGetRequest request, StreamObserver<BatchGetResponse> observer) {
        List<Optional<StateEntry>> entries;
        try {
            entries = state.batchGet(request.getNamespace(), request.getKeysList());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        BatchGetResponse.Builder response = BatchGetResponse.newBuilder();
        for (int i = 0; i < entries.size(); i++) {
            response.addResults(StateProtoMapper.toBatchGetResult(request.getKeys(i), entries.get(i)));
        }
        observer.onNext(response.build());
        observer.onCompleted();
    }

    @Override
    public void set(SetRequest request, StreamObserver<SetResponse> observer) {
        try {
            Responses.whenDone(state.set(StateProtoMapper.toCommand(request, "")), StateProtoMapper::toProto, observer);
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }

    @Override
    public void batchSet(BatchSetRequest request, StreamObserver<BatchSetResponse> observer) {
        try {
            List<StateService.SetCommand> commands = new ArrayList<>(request.getEntriesCount());
            for (int i = 0; i < request.getEntriesCount(); i++) {
                commands.add(StateProtoMapper.toCommand(request.getEntries(i), "entries[" + i + "]."));
            }
            Responses.whenDone(state.batchSet(commands), results -> {
                BatchSetResponse.Builder response = BatchSetResponse.newBuilder();
                results.forEach(result -> response.addResults(StateProtoMapper.toProto(result)));
                return response.build();
            }, observer);
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }

    @Override
    public void delete(DeleteRequest request, StreamObserver<DeleteResponse> observer) {
        try {
            OptionalLong expected = request.hasExpectedVersion() ? OptionalLong.of(request.getExpectedVersion()) : OptionalLong.empty();
            Responses.whenDone(state.delete(request.getNamespace(), request.getKey(), expected), StateProtoMapper::toProto, observer);
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }

    @Override
    public void list(ListRequest request, StreamObserver<ListResponse> observer) {
        StateService.StatePage page;
        try {
            page = state.list(request.getNamespace(), request.getPrefix(), request.getPageSize(), request.getPageToken());
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
            return;
        }
        ListResponse.Builder response = ListResponse.newBuilder().setNextPageToken(page.nextPageToken());
        for (StateEntry entry : page.entries()) {
            response.addEntries(StateProtoMapper.toProto(entry, !request.getKeysOnly()));
        }
        observer.onNext(response.build());
        observer.onCompleted();
    }

    @Override
    public void transaction(TransactionRequest request, StreamObserver<TransactionResponse> observer) {
        try {
            List<StateOperation> operations = new ArrayList<>(request.getOpsCount());
            for (int i = 0; i < request.getOpsCount(); i++) {
                operations.add(StateProtoMapper.toOperation(request.getOps(i), i));
            }
            Responses.whenDone(state.transaction(operations), results -> {
                TransactionResponse.Builder response = TransactionResponse.newBuilder();
                results.forEach(result -> response.addResults(StateProtoMapper.toProto(result)));
                return response.build();
            }, observer);
        } catch (RuntimeException e) {
            Responses.fail(observer, e);
        }
    }
}
