package io.quantbot.spark;

import io.quantbot.storage.daemon.testing.Await;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Spark standalone cluster on loopback made of this test's own classpath, no Spark install: one Master JVM (on
 * 127.0.0.1) and worker JVMs (worker N on 127.0.0.N+1, so that Spark sees separate hosts) ({@code org.apache.spark.deploy.master.Master}, {@code ...worker.Worker}), each on free ports, with an
 * empty SPARK_HOME (workers build executor command lines from it) and the test classpath given to executors through
 * {@code spark.executor.extraClassPath}. Process output goes to files under the cluster's folder.
 */
final class StandaloneCluster implements AutoCloseable {
    private static final Pattern ALIVE_WORKER = Pattern.compile("\"state\"\\s*:\\s*\"ALIVE\"");

    final Path home;
    final String classpath;
    private final int masterPort;
    private final int masterUiPort;
    private final Process master;
    private final List<Worker> workers = new ArrayList<>();
    private final HttpClient http = HttpClient.newHttpClient();

    record Worker(int number, Process process, Path workDir) {}

    StandaloneCluster(int workers) throws Exception {
        home = Files.createTempDirectory("spark-standalone-");
        Files.createDirectories(home.resolve("jars"));
        classpath = Optional.ofNullable(System.getProperty("surefire.test.class.path")).filter(cp -> !cp.isBlank())
                .orElse(System.getProperty("java.class.path"));
        masterPort = freePort();
        masterUiPort = freePort();
        master = start("master", "127.0.0.1", List.of("org.apache.spark.deploy.master.Master", "--host", "127.0.0.1", "--port",
                Integer.toString(masterPort), "--webui-port", Integer.toString(masterUiPort)));
        for (int number = 1; number <= workers; number++) {
            addWorker();
        }
        awaitAliveWorkers(workers);
    }

    String masterUrl() {
        return "spark://127.0.0.1:" + masterPort;
    }

    /** The engine options a sweep on this cluster needs: loopback driver, executor classpath, small executors. */
    List<String> engineOptions() {
        return List.of("spark.driver.host=127.0.0.1", "spark.driver.bindAddress=127.0.0.1", "spark.ui.enabled=false",
                "spark.executor.memory=512m", "spark.executor.extraClassPath=" + classpath,
                "spark.executor.extraJavaOptions=-XX:+UseSerialGC -XX:TieredStopAtLevel=1");
    }

    synchronized Worker addWorker() throws IOException {
        int number = workers.size() + 1;
        Path workDir = Files.createDirectories(home.resolve("work-" + number));
        // Each worker on its own loopback address (127.0.0.2, .3, …): Spark runs a speculative copy only on another host.
        String host = "127.0.0." + (number + 1);
        Process process = start("worker-" + number, host, List.of("org.apache.spark.deploy.worker.Worker", "--host", host,
                "--port", Integer.toString(freePort()), "--webui-port", Integer.toString(freePort()), "--cores", "2",
                "--memory", "1g", "--work-dir", workDir.toString(), masterUrl()));
        Worker worker = new Worker(number, process, workDir);
        workers.add(worker);
        return worker;
    }

    /** The worker whose work dir holds the executor's folder (work-N/app-…/EXECUTOR_ID). */
    synchronized Optional<Worker> workerOf(String executorId) throws IOException {
        for (Worker worker : workers) {
            if (!worker.process().isAlive()) {
                continue;
            }
            try (var apps = Files.list(worker.workDir())) {
                for (Path app : apps.toList()) {
                    if (Files.isDirectory(app.resolve(executorId))) {
                        return Optional.of(worker);
                    }
                }
            }
        }
        return Optional.empty();
    }

    /** SIGKILL for the worker and everything it started (its executor JVM). */
    static void kill(Worker worker) {
        worker.process().toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        worker.process().destroyForcibly();
    }

    /** Waits until the master lists {@code count} ALIVE workers (its JSON status page), at most two minutes. */
    void awaitAliveWorkers(int count) throws InterruptedException {
        Await.until(count + " alive Spark workers", Duration.ofMinutes(2), () -> aliveWorkers() == count);
    }

    synchronized int runningWorkers() {
        return (int) workers.stream().filter(worker -> worker.process().isAlive()).count();
    }

    private int aliveWorkers() {
        try {
            String json = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + masterUiPort + "/json/"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()).body();
            Matcher matcher = ALIVE_WORKER.matcher(json);
            int alive = 0;
            while (matcher.find()) {
                alive++;
            }
            return alive;
        }
        catch (IOException e) {
            return -1;
        }
        catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private Process start(String name, String host, List<String> mainAndArgs) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx192m");
        command.add("-XX:+UseSerialGC");
        for (String option : System.getProperty("spark.addOpens", "").split("\\s+")) {
            if (!option.isBlank()) {
                command.add(option);
            }
        }
        command.add("-cp");
        command.add(classpath);
        command.addAll(mainAndArgs);
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(home.resolve(name + ".log").toFile());
        builder.environment().put("SPARK_HOME", home.toString());
        builder.environment().put("SPARK_SCALA_VERSION", "2.13");
        builder.environment().put("SPARK_LOCAL_IP", host);
        builder.environment().remove("SPARK_CONF_DIR");
        return builder.start();
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** The last lines of every process log, for a failure message. */
    String logs() {
        StringBuilder text = new StringBuilder();
        try (var files = Files.list(home)) {
            for (Path log : files.filter(path -> path.toString().endsWith(".log")).toList()) {
                List<String> lines = Files.readAllLines(log);
                text.append("== ").append(log.getFileName()).append('\n')
                        .append(String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()))).append('\n');
            }
        }
        catch (IOException e) {
            text.append("(logs unreadable: ").append(e.getMessage()).append(")");
        }
        return text.toString();
    }

    @Override
    public synchronized void close() {
        workers.forEach(StandaloneCluster::kill);
        master.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        master.destroyForcibly();
    }

    static String pathSeparator() {
        return File.pathSeparator;
    }
}
