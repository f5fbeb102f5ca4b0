package io.quantbot.storage.daemon.grpc;

import io.grpc.stub.StreamObserver;

/** A request observer for a streaming call that already failed: drops whatever else the client sends. */
final class NoMessages<T> implements StreamObserver<T> {
    private NoMessages() {}

    static <T> StreamObserver<T> drain() {
        return new NoMessages<>();
    }

    @Override
    public void onNext(T value) {}

    @Override
    public void onError(Throwable t) {}

    @Override
    public void onCompleted() {}
}
