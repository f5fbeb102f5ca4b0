package io.quantbot.storage.daemon.storage.pyworker;

import java.io.IOException;

/** The byte stream from a worker does not hold a well-formed frame; the worker must be replaced. */
final class FramingException extends IOException {
    private static final long serialVersionUID = 1L;

    FramingException(String message) {
        super(message);
    }

    FramingException(String message, Throwable cause) {
        super(message, cause);
    }
}
