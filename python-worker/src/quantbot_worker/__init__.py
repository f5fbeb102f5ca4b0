"""The Python DuckDB worker of quantbot-storage.

It speaks the framed protocol of ``quantbot/storage/worker/v1/worker.proto`` on stdin/stdout,
keeps one warm in-memory DuckDB connection, reads the immutable Parquet files a request names
and writes its outputs into the staging folder. Run it with ``python -m quantbot_worker``.
"""

__version__ = "0.1.0"
