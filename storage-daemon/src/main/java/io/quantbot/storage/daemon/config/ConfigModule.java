package io.quantbot.storage.daemon.config;

import static java.util.Objects.requireNonNull;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import jakarta.inject.Singleton;
import java.time.Clock;

/** Binds the resolved configuration and one config record per area. */
public final class ConfigModule extends AbstractModule {
    private final ResolvedConfig config;

    public ConfigModule(ResolvedConfig config) {
        this.config = requireNonNull(config, "config is null");
    }

    @Override
    protected void configure() {
        bind(ResolvedConfig.class).toInstance(config);
        bind(Clock.class).toInstance(Clock.systemUTC());
    }

    @Provides
    @Singleton
    ServerConfig serverConfig() {
        return ServerConfig.from(config);
    }

    @Provides
    @Singleton
    DatabaseConfig databaseConfig() {
        return DatabaseConfig.from(config);
    }

    @Provides
    @Singleton
    LakeConfig lakeConfig() {
        return LakeConfig.from(config);
    }

    @Provides
    @Singleton
    StateConfig stateConfig() {
        return StateConfig.from(config);
    }

    @Provides
    @Singleton
    RunsConfig runsConfig() {
        return RunsConfig.from(config);
    }

    @Provides
    @Singleton
    UploadsConfig uploadsConfig() {
        return UploadsConfig.from(config);
    }

    @Provides
    @Singleton
    CandlesConfig candlesConfig() {
        return CandlesConfig.from(config);
    }

    @Provides
    @Singleton
    SecurityConfig securityConfig() {
        return SecurityConfig.from(config);
    }

    @Provides
    @Singleton
    LoggingConfig loggingConfig() {
        return LoggingConfig.from(config);
    }
}
