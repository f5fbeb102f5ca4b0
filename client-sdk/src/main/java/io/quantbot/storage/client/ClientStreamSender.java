package io.quantbot.storage.client;

import static java.util.Objects.requireNonNull;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.Deadline;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ClientResponseObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The sending side of a client-streaming call, with flow control: {@link #send} blocks while the
 * transport is not ready for more (gRPC's {@code isReady}, signalled by the on-ready handler), so a
 * fast producer cannot buffer without bound. Single producer; not for concurrent senders.
 */
final class ClientStreamSender<RequestT, ResponseT> {
    private final MethodDescriptor<RequestT, ResponseT> method;
    private final Deadline deadline;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition readyOrClosed = lock.newCondition();
    private final CompletableFuture<ResponseT> response = new CompletableFuture<>();
    private final ClientCallStreamObserver<RequestT> requestStream;
    private boolean halfClosed;
    private volatile long messagesSent;

    private ClientStreamSender(Channel channel, MethodDescriptor<RequestT, ResponseT> method, Deadline deadline) {
        this.method = requireNonNull(method, "method is null");
        this.deadline = requireNonNull(deadline, "deadline is null");
        ClientCall<RequestT, ResponseT> call = channel.newCall(method, CallOptions.DEFAULT.withDeadline(deadline));
        ResponseObserver observer = new ResponseObserver();
        ClientCalls.asyncClientStreamingCall(call, observer);
        this.requestStream = requireNonNull(observer.requestStream, "request stream was not started");
    }

    static <RequestT, ResponseT> ClientStreamSender<RequestT, ResponseT> start(
            Channel channel, MethodDescriptor<RequestT, ResponseT> method, Deadline deadline) {
        return new ClientStreamSender<>(requireNonNull(channel, "channel is null"), method, deadline);
    }

    /**
     * Sends one message once the stream is ready for it.
     *
     * @throws StorageException if the call already failed (e.g. the daemon rejected a chunk) or its
     *     deadline passed while waiting
     */
    void send(RequestT message) {
        requireNonNull(message, "message is null");
        if (halfClosed) {
            throw new IllegalStateException("stream of " + method.getFullMethodName() + " is already completed");
        }
        awaitReady();
        requestStream.onNext(message);
        messagesSent++;
    }

    long messagesSent() {
        return messagesSent;
    }

    boolean isDone() {
        return response.isDone();
    }

    /** Half-closes the stream and waits for the daemon's answer. */
    ResponseT complete() {
        if (!halfClosed) {
            halfClosed = true;
            if (!response.isDone()) {
                requestStream.onCompleted();
            }
        }
        try {
            // The call's own deadline fails the future first; the grace only guards against a lost callback.
            return response.get(deadline.timeRemaining(TimeUnit.NANOSECONDS) + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
        }
        catch (ExecutionException failed) {
            throw StorageExceptions.from(failed.getCause());
        }
        catch (TimeoutException timeout) {
            cancel("no answer after the deadline", timeout);
            throw StorageExceptions.create(
                    StorageError.of(Status.Code.DEADLINE_EXCEEDED, method.getFullMethodName() + " gave no answer"), timeout);
        }
        catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            cancel("interrupted", interrupted);
            throw StorageExceptions.create(
                    StorageError.of(Status.Code.CANCELLED, "interrupted while waiting for " + method.getFullMethodName()), interrupted);
        }
    }

    /** Cancels the call unless it already ended. Messages the daemon committed stay committed. */
    void cancel(String message, Throwable cause) {
        if (!response.isDone()) {
            requestStream.cancel(message, cause);
        }
    }

    private void awaitReady() {
        lock.lock();
        try {
            while (true) {
                failIfDone();
                if (requestStream.isReady()) {
                    return;
                }
                long remaining = deadline.timeRemaining(TimeUnit.NANOSECONDS);
                if (remaining <= 0) {
                    // The call's deadline ends it; wait for that answer rather than guessing.
                    readyOrClosed.await(10, TimeUnit.MILLISECONDS);
                    continue;
                }
                readyOrClosed.awaitNanos(remaining);
            }
        }
        catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            cancel("interrupted", interrupted);
            throw StorageExceptions.create(
                    StorageError.of(Status.Code.CANCELLED, "interrupted while sending to " + method.getFullMethodName()), interrupted);
        }
        finally {
            lock.unlock();
        }
    }

    private void failIfDone() {
        if (!response.isDone()) {
            return;
        }
        if (response.isCompletedExceptionally()) {
            try {
                response.join();
            }
            catch (RuntimeException failed) {
                throw StorageExceptions.from(failed.getCause() == null ? failed : failed.getCause());
            }
        }
        throw new IllegalStateException("the daemon ended " + method.getFullMethodName() + " before the client completed it");
    }

    private void signal() {
        lock.lock();
        try {
            readyOrClosed.signalAll();
        }
        finally {
            lock.unlock();
        }
    }

    private final class ResponseObserver implements ClientResponseObserver<RequestT, ResponseT> {
        private ClientCallStreamObserver<RequestT> requestStream;
        private ResponseT value;

        @Override
        public void beforeStart(ClientCallStreamObserver<RequestT> stream) {
            this.requestStream = stream;
            stream.setOnReadyHandler(ClientStreamSender.this::signal);
        }

        @Override
        public void onNext(ResponseT message) {
            value = message;
        }

        @Override
        public void onError(Throwable failure) {
            response.completeExceptionally(failure);
            signal();
        }

        @Override
        public void onCompleted() {
            if (value == null) {
                response.completeExceptionally(Status.INTERNAL
                        .withDescription(method.getFullMethodName() + " completed without a response")
                        .asRuntimeException());
            }
            else {
                response.complete(value);
            }
            signal();
        }
    }
}
