package io.quantbot.storage.daemon.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Stage;
import io.quantbot.storage.daemon.Main;
import io.quantbot.storage.daemon.config.ConfigException;
import io.quantbot.storage.daemon.config.LoggingConfig;
import io.quantbot.storage.daemon.config.ResolvedConfig;
import io.quantbot.storage.daemon.lifecycle.StartupException;
import io.quantbot.storage.daemon.logging.LoggingConfigurator;
import io.quantbot.storage.daemon.server.StorageDaemon;
import java.io.PrintWriter;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
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

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return serve(options, spec.commandLine().getErr());
    }

    /** Runs the daemon; problems found before it starts go to {@code err} (the log is not configured yet). */
    int serve(ConfigOptions configOptions, PrintWriter err) {
        ResolvedConfig config;
        try {
            config = configOptions.resolve(environment);
            ConfigException.throwIfAny(ConfigValidation.problems(config));
            LoggingConfigurator.configure(LoggingConfig.from(config));
        } catch (ConfigException e) {
            return badConfiguration(e.problems(), err);
        }
        config.warnings().forEach(warning -> log.warn("{}", warning));
        StorageDaemon daemon;
        try {
            Injector injector = Guice.createInjector(Stage.PRODUCTION, Main.modules(config));
            daemon = injector.getInstance(StorageDaemon.class);
        } catch (com.google.inject.CreationException | com.google.inject.ProvisionException e) {
            java.util.Collection<com.google.inject.spi.Message> messages = e instanceof com.google.inject.CreationException creation
                    ? creation.getErrorMessages() : ((com.google.inject.ProvisionException) e).getErrorMessages();
            // The validation above should have found every configuration problem; a provider that still refuses one is
            // reported the same way, once, although Guice names it for every injection point.
            Set<String> problems = new LinkedHashSet<>();
            for (com.google.inject.spi.Message message : messages) {
                if (rootCause(message.getCause()) instanceof ConfigException configProblem) {
                    problems.addAll(configProblem.problems());
                }
            }
            if (!problems.isEmpty()) {
                return badConfiguration(List.copyOf(problems), err);
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
        } catch (StartupException e) {
            // Actionable: the message says what and what to do; a stack trace would only bury it.
            log.error("Cannot start: {}", e.getMessage());
            return e.exitCode();
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

    private static int badConfiguration(List<String> problems, PrintWriter err) {
        err.println("quantbot-storage-daemon: bad configuration (" + problems.size() + (problems.size() == 1 ? " problem" : " problems")
                + "; nothing was started):");
        problems.forEach(problem -> err.println("  " + problem));
        err.flush();
        return ExitCodes.USAGE;
    }

    private static Throwable rootCause(Throwable throwable) {
        Throwable current = throwable;
        while (current != null && current.getCause() != null && current.getCause() != current) {
            current = current.getCause();
        }
        return current;
    }
}
