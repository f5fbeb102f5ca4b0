package io.quantbot.sweep.results;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A chunk of run_results rows, column by column ({@link RunResultColumns#COLUMNS} order). The single
 * place that turns it into a {@code RowChunk} for AppendRunRows maps each {@link ResultColumn} to the
 * proto {@code Column} of the same shape.
 *
 * @param sequence the chunk's position within its scenario (0, 1, …), the idempotency key of AppendRunRows
 */
public record ResultBatch(String scenarioId, int sequence, int rowCount, List<ResultColumn> columns) {
    public ResultBatch {
        requireNonNull(scenarioId, "scenarioId is null");
        columns = List.copyOf(requireNonNull(columns, "columns is null"));
        if (sequence < 0 || rowCount < 0) {
            throw new IllegalArgumentException("sequence and rowCount must be >= 0");
        }
    }

    public ResultColumn column(String name) {
        for (ResultColumn column : columns) {
            if (column.name().equals(name)) {
                return column;
            }
        }
        throw new IllegalArgumentException("no column " + name);
    }
}
