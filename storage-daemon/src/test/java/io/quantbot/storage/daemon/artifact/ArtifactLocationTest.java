package io.quantbot.storage.daemon.artifact;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class ArtifactLocationTest {
    @Test
    void aLocalFileIsAFileUriShownAsItsPath() {
        ArtifactLocation location = ArtifactLocation.of(Path.of("/data/lake/report/v1/x y.html"));
        assertThat(location.uri().getScheme()).isEqualTo("file");
        assertThat(location.display()).isEqualTo("/data/lake/report/v1/x y.html");
    }

    @Test
    void anObjectStoreLocationIsShownAsItsUri() {
        ArtifactLocation location = new ArtifactLocation(URI.create("s3://research-lake/warehouse/run_results/data/00001.parquet"));
        assertThat(location.display()).isEqualTo("s3://research-lake/warehouse/run_results/data/00001.parquet");
        assertThatThrownBy(() -> new ArtifactLocation(URI.create("lake/x.parquet"))).hasMessageContaining("needs a scheme");
    }
}
