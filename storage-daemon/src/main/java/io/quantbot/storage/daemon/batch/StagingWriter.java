package io.quantbot.storage.daemon.batch;

import io.quantbot.storage.daemon.run.RowBatch;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;

/** Turns data a client streamed into a file in the staging folder, for the batch engine to publish. */
public interface StagingWriter {
    /** Row chunks (all with the same columns) as one Parquet file. */
    Path writeRows(List<RowBatch> chunks);

    /** The pieces of one Arrow IPC stream, concatenated, as one file. */
    Path writeArrow(InputStream pieces);

    /** Removes a staged file that was not published (best effort). */
    void discard(Path file);
}
