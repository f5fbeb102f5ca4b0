package io.quantbot.storage.daemon.batch;

import static java.util.Objects.requireNonNull;

/**
 * One problem in input data: the file relative to the source folder, the 1-based data row (0 = the
 * whole file; the CSV header is not a row) and the column (empty when it concerns the whole row or file).
 */
public record ValidationIssue(String file, long row, String column, String message) {
    public ValidationIssue {
        requireNonNull(file, "file is null");
        requireNonNull(column, "column is null");
        requireNonNull(message, "message is null");
    }

    /** {@code file:row:column}, the field of a field violation. */
    public String location() {
        return file + ":" + row + ":" + column;
    }
}
