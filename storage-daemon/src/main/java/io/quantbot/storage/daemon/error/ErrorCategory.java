package io.quantbot.storage.daemon.error;

/** Who is at fault, which decides logging and alerting: user errors are the caller's, resource errors are load, internal errors are ours. */
public enum ErrorCategory {
    USER,
    RESOURCE,
    TRANSIENT,
    INTERNAL,
}
