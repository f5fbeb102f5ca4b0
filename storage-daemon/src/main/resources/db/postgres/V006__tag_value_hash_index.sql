-- Tag values may be up to 1024 characters (InputText.tags), which is up to 4096 bytes of UTF-8: past the 2704-byte
-- limit of a btree index entry when the text does not compress, so the btree on (tag_key, tag_value, artifact_id)
-- refused such a tag with "index row size exceeds btree maximum" (embedded mode took it). A hash index stores a
-- 4-byte hash per value, has no such limit, and serves the equality lookups the catalog makes (tag_value = ?; the
-- primary key (artifact_id, tag_key) serves the rest).
DROP INDEX artifact_tags_value;
CREATE INDEX artifact_tags_value ON artifact_tags USING hash (tag_value);
