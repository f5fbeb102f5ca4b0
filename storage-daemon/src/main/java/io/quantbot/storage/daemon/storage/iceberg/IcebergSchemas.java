package io.quantbot.storage.daemon.storage.iceberg;

import io.quantbot.storage.daemon.artifact.ArtifactSchema;
import io.quantbot.storage.daemon.artifact.ArtifactTypes;
import io.quantbot.storage.daemon.artifact.ColumnSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.iceberg.PartitionSpec;
import org.apache.iceberg.Schema;
import org.apache.iceberg.TableProperties;
import org.apache.iceberg.mapping.MappingUtil;
import org.apache.iceberg.mapping.NameMappingParser;
import org.apache.iceberg.types.Type;
import org.apache.iceberg.types.Types;

/**
 * One Iceberg table per artifact type with a fixed schema: its columns as optional Iceberg fields, the partitioning
 * (run_results by sweep_id, candles by token; the rest unpartitioned), and the name mapping that lets readers match
 * the columns of Parquet files written by DuckDB, which carry no Iceberg field ids.
 */
final class IcebergSchemas {
    /** The column each type is partitioned by (identity), if any. */
    static final Map<String, String> PARTITION_COLUMN = Map.of(
            ArtifactTypes.RUN_RESULTS_TYPE, "sweep_id",
            ArtifactTypes.OHLCV_SLICE_TYPE, "token");

    private IcebergSchemas() {}

    static ArtifactSchema schemaOf(String type) {
        return ArtifactTypes.schema(type).orElseThrow(() -> new IllegalArgumentException(
                "artifact type " + type + " has no fixed schema, so it has no Iceberg table (features and reports stay files)"));
    }

    static Schema icebergSchema(ArtifactSchema schema) {
        List<Types.NestedField> fields = new ArrayList<>();
        int id = 1;
        for (ColumnSpec column : schema.columns()) {
            fields.add(Types.NestedField.optional(id++, column.name(), type(column)));
        }
        return new Schema(fields);
    }

    static PartitionSpec partitionSpec(String type, Schema schema) {
        String column = PARTITION_COLUMN.get(type);
        return column == null ? PartitionSpec.unpartitioned() : PartitionSpec.builderFor(schema).identity(column).build();
    }

    /** Table properties: the name mapping (files without field ids) and Parquet as the format. */
    static Map<String, String> properties(Schema schema) {
        return Map.of(
                TableProperties.DEFAULT_NAME_MAPPING, NameMappingParser.toJson(MappingUtil.create(schema)),
                TableProperties.DEFAULT_FILE_FORMAT, "parquet",
                TableProperties.FORMAT_VERSION, "2");
    }

    private static Type type(ColumnSpec column) {
        return switch (column.type().toUpperCase(Locale.ROOT)) {
            case "VARCHAR" -> Types.StringType.get();
            case "BIGINT" -> Types.LongType.get();
            case "INTEGER" -> Types.IntegerType.get();
            case "DOUBLE" -> Types.DoubleType.get();
            case "BOOLEAN" -> Types.BooleanType.get();
            default -> throw new IllegalArgumentException("column " + column.name() + " has type " + column.type() + ", which has no Iceberg mapping here");
        };
    }
}
