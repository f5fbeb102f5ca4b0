package io.quantbot.sweep.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.sweep.simulation.Call;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class CallsArtifactsTest {
    @Test
    void parses_query_json_rows_with_null_prices_and_extra_columns() {
        List<Call> calls = new ArrayList<>();
        CallsArtifacts.parse("""
                [{"call_id":"c1","caller":"alpha","token":"So11111111111111111111111111111111111111112","chain":"solana",\
                "ts":1736121600000,"price":0.5,"extra":{"a":[1,2]}},
                 {"call_id":"c2","caller":"beta","token":"0xAbC0000000000000000000000000000000000001","chain":"base",\
                "ts":1736121660000,"price":null}]""", calls);
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0)).isEqualTo(new Call("c1", "alpha", "So11111111111111111111111111111111111111112", "solana",
                1_736_121_600_000L, 0.5));
        assertThat(calls.get(1).token()).isEqualTo("0xAbC0000000000000000000000000000000000001");
        assertThat(calls.get(1).price()).isNaN();
    }

    @Test
    void a_row_without_a_required_column_is_an_error() {
        assertThatThrownBy(() -> CallsArtifacts.parse("[{\"call_id\":\"c1\",\"caller\":\"a\",\"token\":\"t\",\"chain\":\"solana\"}]",
                new ArrayList<>()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("lacks call_id, caller, token, chain or ts");
    }

    @Test
    void snapshot_calls_have_the_logical_key_import_snapshot_gives_them() {
        assertThat(CallsArtifacts.snapshotLogicalKey("demo")).isEqualTo("snapshot=demo/alerts");
    }
}
