package io.quantbot.sweep.remote;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.quantbot.storage.client.ArtifactClient;
import io.quantbot.storage.v1.Artifact;
import io.quantbot.storage.v1.ArtifactView;
import io.quantbot.storage.v1.QueryRequest;
import io.quantbot.storage.v1.QueryResponse;
import io.quantbot.storage.v1.ResultFormat;
import io.quantbot.sweep.simulation.Call;
import io.quantbot.sweep.spec.CallsSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds the {@code alerts} artifact a sweep file names and loads its calls through Query (JSON rows),
 * a coarse call served by the daemon's warm worker pool: it never spawns anything.
 */
public final class CallsArtifacts {
    public static final String ALERTS_TYPE = "alerts";
    /** Rows per Query: the daemon answers at most 1,000,000 rows and 64 MiB inline; a call row is ~120 bytes of JSON. */
    static final int PAGE_ROWS = 200_000;
    private static final JsonFactory JSON = new JsonFactory();

    private CallsArtifacts() {}

    /** {@code snapshot=<name>/alerts}, the logical key ImportSnapshot gives a snapshot's calls. */
    public static String snapshotLogicalKey(String snapshotName) {
        return "snapshot=" + requireNonNull(snapshotName, "snapshotName is null") + "/alerts";
    }

    /** The ACTIVE alerts artifact the source names (the newest one for a logical key). */
    public static Artifact resolve(ArtifactClient artifacts, CallsSource source) throws CallsNotFoundException {
        requireNonNull(artifacts, "artifacts is null");
        requireNonNull(source, "source is null");
        return switch (source.kind()) {
            case ARTIFACT_ID -> {
                Optional<Artifact> artifact = artifacts.getArtifact(source.value());
                if (artifact.isEmpty()) {
                    throw new CallsNotFoundException("calls.artifact_id: the daemon has no artifact " + source.value());
                }
                if (!artifact.get().getType().equals(ALERTS_TYPE)) {
                    throw new CallsNotFoundException("calls.artifact_id: artifact " + source.value() + " is a "
                            + artifact.get().getType() + ", not an " + ALERTS_TYPE + " artifact");
                }
                yield artifact.get();
            }
            case LOGICAL_KEY -> byLogicalKey(artifacts, source.value(), "calls.logical_key: no active " + ALERTS_TYPE
                    + " artifact has the logical key '" + source.value() + "'");
            case SNAPSHOT -> byLogicalKey(artifacts, snapshotLogicalKey(source.value()), "calls.snapshot: no snapshot named '"
                    + source.value() + "' was imported (no active " + ALERTS_TYPE + " artifact with logical key '"
                    + snapshotLogicalKey(source.value()) + "'); import it first: 'sweep-runner import DIR --name " + source.value() + "'");
        };
    }

    private static Artifact byLogicalKey(ArtifactClient artifacts, String logicalKey, String missing)
            throws CallsNotFoundException {
        List<Artifact> found = artifacts.findByLogicalKey(ALERTS_TYPE, logicalKey);
        if (found.isEmpty()) {
            throw new CallsNotFoundException(missing);
        }
        return found.get(0);
    }

    /** Every call of the artifact, ordered by call id. */
    public static List<Call> load(ArtifactClient artifacts, Artifact alerts) {
        requireNonNull(artifacts, "artifacts is null");
        requireNonNull(alerts, "alerts is null");
        List<Call> calls = new ArrayList<>((int) Math.min(alerts.getRowCount(), 10_000_000));
        long offset = 0;
        while (true) {
            QueryResponse page = artifacts.query(QueryRequest.newBuilder()
                    .setSql("SELECT call_id, caller, token, chain, ts, price FROM alerts ORDER BY call_id LIMIT " + PAGE_ROWS
                            + " OFFSET " + offset)
                    .addViews(ArtifactView.newBuilder().setName("alerts").addArtifactIds(alerts.getId()))
                    .setFormat(ResultFormat.RESULT_FORMAT_JSON)
                    .setRowLimit(PAGE_ROWS)
                    .build());
            int before = calls.size();
            parse(page.getJsonRows(), calls);
            int added = calls.size() - before;
            if (added < PAGE_ROWS) {
                break;
            }
            offset += added;
        }
        if (calls.size() != alerts.getRowCount()) {
            throw new IllegalStateException("alerts artifact " + alerts.getId() + " has " + alerts.getRowCount()
                    + " rows but Query returned " + calls.size());
        }
        return calls;
    }

    /** Parses Query's JSON rows ({@code [{"call_id": …, …}, …]}) into calls. */
    static void parse(String jsonRows, List<Call> into) {
        try (JsonParser parser = JSON.createParser(jsonRows)) {
            if (parser.nextToken() != JsonToken.START_ARRAY) {
                throw new IllegalStateException("Query JSON rows are not an array");
            }
            while (parser.nextToken() == JsonToken.START_OBJECT) {
                String callId = null;
                String caller = null;
                String token = null;
                String chain = null;
                Long timestamp = null;
                double price = Double.NaN;
                while (parser.nextToken() == JsonToken.FIELD_NAME) {
                    String field = parser.currentName();
                    JsonToken value = parser.nextToken();
                    switch (field) {
                        case "call_id" -> callId = parser.getValueAsString();
                        case "caller" -> caller = parser.getValueAsString();
                        case "token" -> token = parser.getValueAsString();
                        case "chain" -> chain = parser.getValueAsString();
                        case "ts" -> timestamp = value == JsonToken.VALUE_NULL ? null : parser.getLongValue();
                        case "price" -> price = value == JsonToken.VALUE_NULL ? Double.NaN : parser.getDoubleValue();
                        default -> parser.skipChildren();
                    }
                }
                if (callId == null || caller == null || token == null || chain == null || timestamp == null) {
                    throw new IllegalStateException("a call row lacks call_id, caller, token, chain or ts: call_id=" + callId);
                }
                into.add(new Call(callId, caller, token, chain, timestamp, price));
            }
        }
        catch (IOException e) {
            throw new UncheckedIOException("Query returned JSON rows that do not parse", e);
        }
    }
}
