package io.quantbot.storage.daemon.cli;

import io.quantbot.storage.daemon.info.DaemonInfoService;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code quantbot-storage-daemon}: runs the daemon (the default), or inspects its configuration. */
@Command(
        name = "quantbot-storage-daemon",
        mixinStandardHelpOptions = true,
        versionProvider = DaemonCommand.Version.class,
        description = "The quantbot storage daemon: StatePort and ArtifactPort over gRPC, backed by DuckDB and a warm pool of Python workers.",
        footer = {"", ExitCodes.HELP},
        subcommands = {ServeCommand.class, ConfigCommand.class, LakeCommand.class, MigrateCommand.class, CommandLine.HelpCommand.class})
public final class DaemonCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    private final Map<String, String> environment;

    DaemonCommand(Map<String, String> environment) {
        this.environment = environment;
    }

    /** Without a subcommand the daemon serves, so `java -jar storage-daemon.jar` just runs it. */
    @Override
    public Integer call() {
        return new ServeCommand(environment).serve(options, spec.commandLine().getErr());
    }

    public static int run(String[] args) {
        return commandLine(System.getenv()).execute(args);
    }

    static CommandLine commandLine(Map<String, String> environment) {
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override
            public <K> K create(Class<K> type) throws Exception {
                if (type == DaemonCommand.class) {
                    return type.cast(new DaemonCommand(environment));
                }
                if (type == ServeCommand.class) {
                    return type.cast(new ServeCommand(environment));
                }
                if (type == MigrateCommand.class) {
                    return type.cast(new MigrateCommand(environment));
                }
                if (type == LakeCommand.VerifyCommand.class) {
                    return type.cast(new LakeCommand.VerifyCommand(environment));
                }
                if (type == ConfigCommand.PrintCommand.class) {
                    return type.cast(new ConfigCommand.PrintCommand(environment));
                }
                if (type == ConfigCommand.CheckCommand.class) {
                    return type.cast(new ConfigCommand.CheckCommand(environment));
                }
                return CommandLine.defaultFactory().create(type);
            }
        };
        CommandLine commandLine = new CommandLine(DaemonCommand.class, factory);
        return commandLine;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"quantbot-storage-daemon " + DaemonInfoService.version()};
        }
    }
}
