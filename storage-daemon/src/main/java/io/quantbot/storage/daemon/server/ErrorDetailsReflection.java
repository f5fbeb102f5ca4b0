package io.quantbot.storage.daemon.server;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.rpc.ErrorDetailsProto;
import com.google.rpc.StatusProto;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.protobuf.ProtoFileDescriptorSupplier;
import io.grpc.protobuf.ProtoServiceDescriptorSupplier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Makes server reflection answer for google.rpc.ErrorInfo, BadRequest, RetryInfo and google.rpc.Status,
 * which every error of the ports carries in its details, so generic tools (grpcurl, buf curl, Postman)
 * decode them instead of printing base64. Reflection only serves the files of registered services and
 * their imports, and the port protos do not import google/rpc (clients need not have it to compile them);
 * so the service is re-registered with a copy of its file that imports error_details.proto and status.proto.
 * Nothing else about the service changes: same name, methods and handlers.
 */
final class ErrorDetailsReflection {
    private static final List<FileDescriptor> ERROR_FILES = List.of(ErrorDetailsProto.getDescriptor(), StatusProto.getDescriptor());

    private ErrorDetailsReflection() {}

    /** {@code definition} with a schema whose file also imports the google.rpc error files; as is if it has no proto schema. */
    static ServerServiceDefinition withErrorDetails(ServerServiceDefinition definition) {
        io.grpc.ServiceDescriptor service = definition.getServiceDescriptor();
        if (!(service.getSchemaDescriptor() instanceof ProtoServiceDescriptorSupplier supplier)) {
            return definition;
        }
        ServiceDescriptor protoService = supplier.getServiceDescriptor();
        FileDescriptor file = augmented(protoService.getFile());
        ServiceDescriptor augmentedService = file.findServiceByName(protoService.getName());
        io.grpc.ServiceDescriptor.Builder descriptor = io.grpc.ServiceDescriptor.newBuilder(service.getName())
                .setSchemaDescriptor(new Schema(file, augmentedService));
        for (MethodDescriptor<?, ?> method : service.getMethods()) {
            descriptor.addMethod(method);
        }
        ServerServiceDefinition.Builder rebuilt = ServerServiceDefinition.builder(descriptor.build());
        for (ServerMethodDefinition<?, ?> method : definition.getMethods()) {
            rebuilt.addMethod(method);
        }
        return rebuilt.build();
    }

    private static FileDescriptor augmented(FileDescriptor file) {
        FileDescriptorProto.Builder proto = file.toProto().toBuilder();
        Map<String, FileDescriptor> dependencies = new LinkedHashMap<>();
        for (FileDescriptor dependency : file.getDependencies()) {
            dependencies.put(dependency.getName(), dependency);
        }
        for (FileDescriptor errors : ERROR_FILES) {
            if (dependencies.putIfAbsent(errors.getName(), errors) == null) {
                proto.addDependency(errors.getName());
            }
        }
        try {
            return FileDescriptor.buildFrom(proto.build(), new ArrayList<>(dependencies.values()).toArray(FileDescriptor[]::new));
        } catch (DescriptorValidationException e) {
            throw new IllegalStateException("cannot add the google.rpc error files to " + file.getName(), e);
        }
    }

    private record Schema(FileDescriptor file, ServiceDescriptor service) implements ProtoFileDescriptorSupplier, ProtoServiceDescriptorSupplier {
        @Override
        public FileDescriptor getFileDescriptor() {
            return file;
        }

        @Override
        public ServiceDescriptor getServiceDescriptor() {
            return service;
        }
    }
}
