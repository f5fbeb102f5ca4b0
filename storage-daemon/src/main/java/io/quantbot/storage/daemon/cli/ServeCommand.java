package io.quantbot.storage.daemon.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Stage;
import io.quantbot.storage.daemon.Main;
import io.quantbot.storage.daemon.config.ConfigException;
import io.quantbot.storage.daemon.config.LoggingConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.logging.LoggingConfigurator;
import io.quantbot.storage.daemon.server.StorageDaemon;
import io.quantbot.storage.daemon.storage.duckdb.DataLossException;
import io.quantbot.storage.daemon.storage.duckdb.DatabaseLockedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import sun.misc.Signal;

/** Runs the daemon until SIGTERM or Ctrl-C, then shuts down gracefully and exits 0. */
@Command(name = "serve", mixinStandardHelpOptions = true, versionProvider = DaemonCommand.Version.class,
        description = "Run the daemon (the default command).", footer = {"", ExitCodes.HELP})
public final class ServeCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(ServeCommand.class);

    @Mixin
    ConfigOptions options;

    private final Map<String, String> environment;

    ServeCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() {
        return serve(options);
    }

    int serve(ConfigOptions configOptions) {
        ResolvedConfig config;
        try {
            config = configOptions.resolve(environment);
            LoggingConfigurator.configure(LoggingConfig.from(config));
        } catch (ConfigException e) {
            System.err.println("quantbot-storage-daemon: bad configuration:");
            e.problems().forEach(problem -> System.err.println("  " + problem));
            return ExitCodes.USAGE;
        }
        StorageDaemon daemon;
        try {
            Injector injector = Guice.createInjector(Stage.PRODUCTION, Main.modules(config));
            daemon = injector.getInstance(StorageDaemon.class);
        } catch (com.google.inject.CreationException | com.google.inject.ProvisionException e) {
            java.util.Collection<com.google.inject.spi.Message> messages = e instanceof com.google.inject.CreationException creation
                    ? creation.getErrorMessages() : ((com.google.inject.ProvisionException) e).getErrorMessages();
            List<String> problems = new ArrayList<>();
            for (com.google.inject.spi.Message message : messages) {
                if (rootCause(message.getCause()) instanceof ConfigException configProblem) {
                    problems.addAll(configProblem.problems());
                }
            }
            if (!problems.isEmpty()) {
                System.err.println("quantbot-storage-daemon: bad configuration:");
                problems.forEach(problem -> System.err.println("  " + problem));
                return ExitCodes.USAGE;
            }
            log.error("The daemon could not be assembled", e);
            return ExitCodes.FAILED;
        }
        CountDownLatch stopRequested = new CountDownLatch(1);
        Signal.handle(new Signal("TERM"), signal -> stopRequested.countDown());
        Signal.handle(new Signal("INT"), signal -> stopRequested.countDown());
        Thread hook = new Thread(daemon::stop, "shutdown-hook");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            daemon.start();
        } catch (DatabaseLockedException e) {
            log.error("Cannot start: {}", e.getMessage());
            return ExitCodes.DATABASE_LOCKED;
        } catch (DataLossException e) {
            log.error("Cannot start: {}", e.getMessage());
            return ExitCodes.DATA_LOSS;
        } catch (Exception e) {
            log.error("Cannot start: {}", e.getMessage(), e);
            return ExitCodes.FAILED;
        }
        try {
            stopRequested.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        daemon.stop();
        return ExitCodes.OK;
    }

    private static Throwable rootCause(Throwable throwable) {
        Throwable current = throwable;
        while (current != null && current.getCause() != null && current.getCause() != current) {
            current = current.getCause();
        }
        return current;
    }
}
