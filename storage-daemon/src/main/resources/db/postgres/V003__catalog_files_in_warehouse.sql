-- The catalog's files live in the cluster's shared warehouse (cluster.warehouse), so every daemon serves every artifact:
-- artifacts.path and sidecar_path are relative to the warehouse, and node_id names the daemon that registered the file.
COMMENT ON COLUMN artifacts.path IS 'relative to the cluster warehouse (cluster.warehouse); lake/<type>/v<version>/<name>__ch=<hash8>__<id>.<ext>';
COMMENT ON COLUMN artifacts.sidecar_path IS 'relative to the cluster warehouse';
COMMENT ON COLUMN artifacts.node_id IS 'the daemon that registered the artifact (cluster.node-id)';
