package io.quantbot.storage.daemon.grpc;

import com.google.protobuf.ByteString;
import io.quantbot.storage.daemon.error.ErrorCode;
import io.quantbot.storage.daemon.error.StorageException;
import io.quantbot.storage.daemon.state.StateEntry;
import io.quantbot.storage.daemon.state.StateKey;
import io.quantbot.storage.daemon.state.StateOperation;
import io.quantbot.storage.daemon.state.StateOperationResult;
import io.quantbot.storage.daemon.state.StateService;
import io.quantbot.storage.daemon.state.StateValue;
import io.quantbot.storage.v1.BatchGetResult;
import io.quantbot.storage.v1.CheckVersion;
import io.quantbot.storage.v1.DeleteRequest;
import io.quantbot.storage.v1.DeleteResponse;
import io.quantbot.storage.v1.GetRequest;
import io.quantbot.storage.v1.SetRequest;
import io.quantbot.storage.v1.SetResponse;
import io.quantbot.storage.v1.TransactionOp;
import io.quantbot.storage.v1.TransactionOpResult;
import io.quantbot.storage.v1.Value;
import java.util.Optional;
import java.util.OptionalLong;

/** Proto &lt;-&gt; domain for StatePort. */
final class StateProtoMapper {
    private StateProtoMapper() {}

    static io.quantbot.storage.v1.StateEntry toProto(StateEntry entry, boolean withValue) {
        io.quantbot.storage.v1.StateEntry.Builder builder = io.quantbot.storage.v1.StateEntry.newBuilder()
                .setNamespace(entry.key().namespace())
                .setKey(entry.key().key())
                .setVersion(entry.version())
                .setCreatedAtMs(entry.createdAtMs())
                .setUpdatedAtMs(entry.updatedAtMs())
                .setExpiresAtMs(entry.expiresAtMs());
        if (withValue) {
            builder.setValue(toProto(entry.value()));
        }
        return builder.build();
    }

    static Value toProto(StateValue value) {
        if (value instanceof StateValue.Json json) {
            return Value.newBuilder().setJson(json.text()).build();
        }
        return Value.newBuilder().setRaw(ByteString.copyFrom(((StateValue.Raw) value).bytes())).build();
    }

    static StateValue toDomain(Value value, String field) {
        return switch (value.getKindCase()) {
            case JSON -> new StateValue.Json(value.getJson());
            case RAW -> new StateValue.Raw(value.getRaw().toByteArray());
            case KIND_NOT_SET -> throw StorageException.builder(ErrorCode.INVALID_VALUE, field + " is missing: set value.json or value.raw")
                    .violation(field, "set value.json or value.raw")
                    .build();
        };
    }

    static StateService.SetCommand toCommand(SetRequest request, String field) {
        return new StateService.SetCommand(
                request.getNamespace(),
                request.getKey(),
                toDomain(request.getValue(), field + "value"),
                request.getTtlMs(),
                request.hasExpectedVersion() ? OptionalLong.of(request.getExpectedVersion()) : OptionalLong.empty());
    }

    static BatchGetResult toBatchGetResult(String key, Optional<StateEntry> entry) {
        BatchGetResult.Builder result = BatchGetResult.newBuilder().setKey(key).setFound(entry.isPresent());
        entry.ifPresent(found -> result.setEntry(toProto(found, true)));
        return result.build();
    }

    static SetResponse toProto(StateOperationResult.Put put) {
        return SetResponse.newBuilder().setVersion(put.version()).setExpiresAtMs(put.expiresAtMs()).build();
    }

    static DeleteResponse toProto(StateOperationResult.Removed removed) {
        return DeleteResponse.newBuilder().setDeleted(removed.deleted()).setDeletedVersion(removed.deletedVersion()).build();
    }

    static StateOperation toOperation(TransactionOp op, int index) {
        String field = "ops[" + index + "].";
        return switch (op.getOpCase()) {
            case GET -> {
                GetRequest get = op.getGet();
                yield new StateOperation.Get(new StateKey(get.getNamespace(), get.getKey()));
            }
            case SET -> {
                StateService.SetCommand command = toCommand(op.getSet(), field + "set.");
                yield new StateOperation.Put(new StateKey(command.namespace(), command.key()), command.value(), command.ttlMs(),
                        command.expectedVersion());
            }
            case DELETE -> {
                DeleteRequest delete = op.getDelete();
                yield new StateOperation.Remove(new StateKey(delete.getNamespace(), delete.getKey()),
                        delete.hasExpectedVersion() ? OptionalLong.of(delete.getExpectedVersion()) : OptionalLong.empty());
            }
            case CHECK -> {
                CheckVersion check = op.getCheck();
                yield new StateOperation.Check(new StateKey(check.getNamespace(), check.getKey()), check.getVersion());
            }
            case OP_NOT_SET -> throw StorageException.builder(ErrorCode.INVALID_ARGUMENT, field + "op is empty: set get, set, delete or check")
                    .violation(field + "op", "set get, set, delete or check")
                    .build();
        };
    }

    static TransactionOpResult toProto(StateOperationResult result) {
        TransactionOpResult.Builder builder = TransactionOpResult.newBuilder();
        if (result instanceof StateOperationResult.Got got) {
            builder.setGet(toBatchGetResult(got.key().key(), got.entry()));
        } else if (result instanceof StateOperationResult.Put put) {
            builder.setSet(toProto(put));
        } else if (result instanceof StateOperationResult.Removed removed) {
            builder.setDelete(toProto(removed));
        } else if (result instanceof StateOperationResult.Checked checked) {
            builder.setCheckedVersion(checked.version());
        }
        return builder.build();
    }
}
