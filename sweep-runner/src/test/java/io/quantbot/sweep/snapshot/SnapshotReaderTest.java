package io.quantbot.sweep.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.quantbot.sweep.simulation.CandleSeries;
import io.quantbot.sweep.spec.CandleInterval;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SnapshotReaderTest {
    private static final String HEADER = "token,chain,interval,ts,open,high,low,close,volume\n";

    @TempDir
    Path folder;

    private void write(String candles, String calls) throws IOException {
        Files.createDirectories(folder.resolve("candles"));
        Files.createDirectories(folder.resolve("calls"));
        Files.writeString(folder.resolve("candles/all.csv"), candles);
        Files.writeString(folder.resolve("calls/calls.csv"), calls);
    }

    @Test
    void reads_several_series_from_one_file_and_aggregates_missing_intervals() throws Exception {
        write(HEADER
                + "TokenA,solana,1m,0,1,2,0.5,1.5,10\n"
                + "TokenA,solana,1m,60000,1.5,1.6,1.4,1.45,5\n"
                + "\"0xAbC\",base,1m,0,3,3,3,3,0\n",
                "caller,call_id,token,chain,ts,price\n" // column order does not matter
                        + "alice,c1,TokenA,solana,0,\n"
                        + "\"bob, jr\",c2,0xAbC,base,5,2.5\n");
        Snapshot snapshot = new SnapshotReader(2).read(folder);

        assertThat(snapshot.calls()).hasSize(2);
        assertThat(snapshot.calls().get(0).price()).isNaN();
        assertThat(snapshot.calls().get(1).caller()).isEqualTo("bob, jr");
        CandleSeries five = snapshot.series("solana", "TokenA", CandleInterval.FIVE_MINUTES).orElseThrow();
        assertThat(five.size()).isEqualTo(1);
        assertThat(five.close(0)).isEqualTo(1.45);
        assertThat(snapshot.series("base", "0xAbC", CandleInterval.ONE_MINUTE)).isPresent();
        assertThat(snapshot.series("base", "0xabc", CandleInterval.ONE_MINUTE)).as("addresses are case-sensitive").isEmpty();
        assertThat(snapshot.series("solana", "TokenA", CandleInterval.FIFTEEN_SECONDS)).isEmpty();
    }

    @Test
    void invalid_candles_name_file_and_line() throws Exception {
        write(HEADER + "TokenA,solana,1m,0,1,2,0.5,1.5,10\nTokenA,solana,1m,0,1,2,0.5,1.5,10\n", "call_id,caller,token,chain,ts,price\n");
        assertThatThrownBy(() -> new SnapshotReader(1).read(folder))
                .isInstanceOf(IOException.class).hasMessageContaining("all.csv:3").hasMessageContaining("no duplicates");

        write(HEADER + "TokenA,solana,1m,0,1,0.9,0.5,1.5,10\n", "call_id,caller,token,chain,ts,price\n");
        assertThatThrownBy(() -> new SnapshotReader(1).read(folder))
                .isInstanceOf(IOException.class).hasMessageContaining("all.csv:2").hasMessageContaining("high >=");

        write("token,chain,ts\n", "call_id,caller,token,chain,ts,price\n");
        assertThatThrownBy(() -> new SnapshotReader(1).read(folder))
                .isInstanceOf(IOException.class).hasMessageContaining("missing column interval");
    }
}
