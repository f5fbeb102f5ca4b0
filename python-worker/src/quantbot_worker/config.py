"""Settings from the daemon's Configure frame, checked once at start."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from quantbot.storage.worker.v1 import worker_pb2

# Used when Configure leaves the lists empty (the values of docs/artifacts.md).
DEFAULT_CHAINS: tuple[str, ...] = ("solana", "ethereum", "bsc", "base", "evm", "arb", "op", "unknown")
DEFAULT_INTERVALS: tuple[str, ...] = ("1s", "15s", "1m", "5m", "15m", "1h", "4h", "1d")

_MEMORY_LIMIT = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)$", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")


class ConfigError(Exception):
    """The Configure frame cannot be applied; the worker exits without sending Ready."""


@dataclass(frozen=True)
class WorkerConfig:
    allowed_directories: tuple[str, ...]
    import_roots: tuple[str, ...]
    staging_dir: str
    memory_limit: str
    threads: int
    known_chains: frozenset[str]
    known_intervals: frozenset[str]
    data_limit_bytes: int = 0

    @staticmethod
    def from_proto(message: worker_pb2.Configure) -> WorkerConfig:
        staging = message.staging_dir
        if not staging:
            raise ConfigError("Configure.staging_dir is required")
        if not os.path.isabs(staging):
            raise ConfigError(f"Configure.staging_dir must be absolute: {staging!r}")
        try:
            os.makedirs(staging, exist_ok=True)
        except OSError as e:
            raise ConfigError(f"cannot create staging_dir {staging!r}: {e}") from e
        staging = os.path.realpath(staging)

        roots = tuple(_absolute_real(path, "import_roots") for path in message.import_roots)
        allowed = [_absolute_real(path, "allowed_directories") for path in message.allowed_directories]
        # The worker writes into staging and reads import roots itself, so DuckDB may touch them too.
        for path in (staging, *roots):
            if path not in allowed:
                allowed.append(path)

        memory_limit = message.memory_limit.strip()
        if memory_limit and not _MEMORY_LIMIT.match(memory_limit):
            raise ConfigError(f"Configure.memory_limit is not a size such as '2GB': {memory_limit!r}")
        if message.data_limit_bytes < 0:
            raise ConfigError(f"Configure.data_limit_bytes must be >= 0, got {message.data_limit_bytes}")
        if message.threads < 0:
            raise ConfigError(f"Configure.threads must be >= 0, got {message.threads}")

        chains = tuple(message.known_chains) or DEFAULT_CHAINS
        intervals = tuple(message.known_intervals) or DEFAULT_INTERVALS
        for name in (*chains, *intervals):
            if not _NAME.match(name):
                raise ConfigError(f"Configure: invalid chain or interval name {name!r}")
        return WorkerConfig(
            allowed_directories=tuple(allowed),
            import_roots=roots,
            staging_dir=staging,
            memory_limit=memory_limit,
            threads=message.threads,
            known_chains=frozenset(chains),
            known_intervals=frozenset(intervals),
            data_limit_bytes=message.data_limit_bytes,
        )


def _absolute_real(path: str, field: str) -> str:
    if not path or not os.path.isabs(path):
        raise ConfigError(f"Configure.{field} entries must be absolute paths: {path!r}")
    return os.path.realpath(path)
