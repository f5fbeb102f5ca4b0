package io.quantbot.sweep.cli;

/** A problem with what the user asked for, found while running (a missing file, a folder in the way): exit 2. */
final class UsageException extends Exception {
    UsageException(String message) {
        super(message);
    }
}
