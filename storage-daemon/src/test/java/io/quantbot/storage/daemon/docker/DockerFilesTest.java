package io.quantbot.storage.daemon.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Static checks of the image and compose files (the parts no run can show: pinned defaults, no baked
 * secrets, liveness vs readiness); .ci/compose-stack-test builds and runs them with podman.
 */
class DockerFilesTest {
    private static final Path DOCKER = Path.of("..", "docker");

    private static List<String> instructions() throws Exception {
        List<String> joined = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : Files.readAllLines(DOCKER.resolve("Dockerfile"))) {
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || trimmed.isEmpty()) {
                continue;
            }
            if (trimmed.endsWith("\\")) {
                current.append(trimmed, 0, trimmed.length() - 1).append(' ');
            } else {
                joined.add(current.append(trimmed).toString());
                current.setLength(0);
            }
        }
        return joined;
    }

    @Test
    void dockerfileIsMultiStageNonRootWithHealthcheckAndNoBakedSecrets() throws Exception {
        List<String> lines = instructions();
        // Base images are build arguments whose defaults are pinned public images (docker/build-base makes local ones).
        List<String> baseArgs = lines.stream().filter(line -> line.matches("ARG (BUILD|RUNTIME)_IMAGE=.*")).toList();
        assertThat(baseArgs).hasSize(2).allSatisfy(arg -> assertThat(arg).doesNotContain(":latest").matches("ARG \\w+=\\S+:\\S+"));
        List<String> froms = lines.stream().filter(line -> line.startsWith("FROM ")).toList();
        assertThat(froms).anySatisfy(from -> assertThat(from).isEqualTo("FROM ${BUILD_IMAGE} AS build"));
        assertThat(froms).anySatisfy(from -> assertThat(from).isEqualTo("FROM ${JARS} AS jars"));
        assertThat(froms).allSatisfy(from -> assertThat(from).matches("FROM (\\$\\{\\w+}|[\\w-]+)( AS [\\w-]+)?"));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("ARG JARS=build"));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("RUN mvn ").contains("-pl storage-daemon,sweep-runner -am package"));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("COPY --from=jars").contains("storage-daemon.jar").contains("sweep-runner.jar"));
        assertThat(lines).anySatisfy(line -> assertThat(line).contains("python3 -m venv /opt/venv").contains("-r /opt/quantbot/requirements.txt")
                .contains("--no-index --find-links /tmp/wheelhouse"));
        assertThat(lines).anySatisfy(line -> assertThat(line).contains("openjdk-17-jre-headless"));
        String user = lines.stream().filter(line -> line.startsWith("USER ")).reduce((a, b) -> b).orElseThrow();
        assertThat(user).isNotIn("USER root", "USER 0");
        assertThat(lines.indexOf(user)).isGreaterThan(lines.indexOf(lines.stream().filter(l -> l.startsWith("RUN useradd")).findFirst().orElseThrow()));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("VOLUME").contains("/var/lib/quantbot/data"));
        // Health is liveness: a daemon that is alive but not ready must not be restarted for it.
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("HEALTHCHECK").contains("/healthz").doesNotContain("/readyz"));
        assertThat(lines).anySatisfy(line -> assertThat(line).startsWith("ENTRYPOINT").contains("storage-daemon.jar"));
        String env = String.join(" ", lines.stream().filter(line -> line.startsWith("ENV ")).toList());
        assertThat(env).contains("QUANTBOT_GRPC_HOST=0.0.0.0").contains("QUANTBOT_AUTH_TOKENS_FILE=/run/secrets/");
        // A token must come from a mounted file or a secret variable at run time, never from the image.
        assertThat(env).doesNotContain("QUANTBOT_AUTH_TOKENS=");
        assertThat(String.join("\n", lines)).doesNotContainPattern("(?i)(token|password|secret)\\s*=\\s*['\"]?[A-Za-z0-9]{16,}");
        assertThat(Files.readString(Path.of("..", ".dockerignore"))).contains("**/target").contains("**/.venv").contains("docker/secrets")
                .contains("!storage-daemon/target/storage-daemon.jar").contains("!sweep-runner/target/sweep-runner.jar");
    }

    @Test
    void dockerfileCopiesEveryModuleTheBuildNeeds() throws Exception {
        String root = Files.readString(Path.of("..", "pom.xml"));
        Matcher module = Pattern.compile("<module>([^<]+)</module>").matcher(root);
        List<String> lines = instructions();
        while (module.find()) {
            String name = module.group(1);
            assertThat(lines).as("the Dockerfile copies module %s (the reactor needs every module)", name)
                    .anySatisfy(line -> assertThat(line).startsWith("COPY " + name + " "));
        }
    }

    @Test
    void composeRunsTheDaemonWithAHealthcheckAndTheSweepOnceItIsReady() throws Exception {
        JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(DOCKER.resolve("compose.yaml").toFile());
        JsonNode daemon = compose.path("services").path("storage-daemon");
        assertThat(daemon.isMissingNode()).isFalse();
        assertThat(daemon.path("build").path("dockerfile").asText()).isEqualTo("docker/Dockerfile");
        assertThat(daemon.path("healthcheck").path("test").toString()).contains("/healthz").doesNotContain("/readyz");
        assertThat(daemon.path("volumes").get(0).asText()).startsWith("quantbot-data:");
        assertThat(compose.path("volumes").has("quantbot-data")).isTrue();
        assertThat(daemon.path("secrets").get(0).asText()).isEqualTo("quantbot_tokens");
        assertThat(daemon.path("stop_grace_period").asText()).isNotEmpty();
        assertThat(daemon.path("restart").asText()).isEqualTo("unless-stopped");
        // Host ports come from the environment so parallel CI jobs do not collide.
        assertThat(daemon.path("ports").toString()).contains("${QUANTBOT_GRPC_HOST_PORT:-50051}:50051").contains("${QUANTBOT_HTTP_HOST_PORT:-9464}:9464");
        JsonNode sweep = compose.path("services").path("sweep-runner");
        // The runner builds from the same recipe (the same image), so nothing is pulled.
        assertThat(sweep.path("build")).isEqualTo(daemon.path("build"));
        assertThat(sweep.path("image")).isEqualTo(daemon.path("image"));
        assertThat(sweep.path("depends_on").path("storage-daemon").path("condition").asText()).isEqualTo("service_healthy");
        assertThat(sweep.path("entrypoint").toString()).contains("/opt/quantbot/bin/wait-ready").contains("http://storage-daemon:9464/readyz");
        assertThat(sweep.path("command").toString()).contains("demo").contains("storage-daemon:50051").contains("--token-file");
        for (String imageOnly : List.of("prometheus", "grafana")) {
            assertThat(compose.path("services").path(imageOnly).path("profiles").toString()).as(imageOnly).contains("observability");
        }
        for (JsonNode secret : compose.path("secrets")) {
            assertThat(secret.path("file").asText()).startsWith("${QUANTBOT_SECRETS_DIR:-./secrets}/");
        }
        JsonNode prometheus = new ObjectMapper(new YAMLFactory()).readTree(DOCKER.resolve("prometheus.yml").toFile());
        assertThat(prometheus.path("scrape_configs").get(0).path("static_configs").get(0).path("targets").get(0).asText())
                .isEqualTo("storage-daemon:9464");
        JsonNode dashboard = new ObjectMapper().readTree(DOCKER.resolve("grafana/quantbot-storage.json").toFile());
        assertThat(dashboard.path("panels").size()).isGreaterThan(5);
        assertThat(dashboard.toString()).contains("quantbot_python_worker_spawns_total").contains("quantbot_grpc_server_calls_seconds_bucket");
    }
}
