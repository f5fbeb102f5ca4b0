package io.quantbot.storage.daemon.storage.postgres;

import io.quantbot.storage.daemon.config.ClusterConfig;
import io.quantbot.storage.daemon.lifecycle.StartupException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * What every daemon of one cluster must agree on, kept in PostgreSQL: the warehouse (recorded by the first daemon; a
 * daemon naming another one is refused with exit code 2, so two lakes never share one catalog), and the nodes that
 * joined (node id, first and latest start), for operators.
 */
final class ClusterIdentity {
    private ClusterIdentity() {}

    static void check(Connection connection, ClusterConfig config) throws SQLException {
        String warehouse = config.warehouse().toString();
        try (PreparedStatement insert = connection.prepareStatement(
                "INSERT INTO cluster_settings (name, value) VALUES ('warehouse', ?) ON CONFLICT (name) DO NOTHING")) {
            insert.setString(1, warehouse);
            insert.executeUpdate();
        }
        String recorded;
        try (PreparedStatement select = connection.prepareStatement("SELECT value FROM cluster_settings WHERE name = 'warehouse'");
                ResultSet rows = select.executeQuery()) {
            rows.next();
            recorded = rows.getString(1);
        }
        if (!recorded.equals(warehouse)) {
            throw new StartupException("cluster.warehouse is " + warehouse + ", but the cluster's PostgreSQL belongs to the warehouse " + recorded
                    + ": every daemon of a cluster must name the same warehouse (or point cluster.postgres-url at this warehouse's database)",
                    StartupException.BAD_SETTING, null);
        }
        try (PreparedStatement upsert = connection.prepareStatement("""
                INSERT INTO cluster_nodes (node_id, first_started_at, last_started_at) VALUES (?, now(), now())
                ON CONFLICT (node_id) DO UPDATE SET last_started_at = now()""")) {
            upsert.setString(1, config.nodeId());
            upsert.executeUpdate();
        }
    }
}
