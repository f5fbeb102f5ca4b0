"""Known artifact types of docs/artifacts.md: canonical columns, sort keys and time columns."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa

from quantbot_worker.content_hash import HashColumn, Kind

ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
}
KINDS: dict[str, Kind] = {"VARCHAR": "str", "BIGINT": "i64", "DOUBLE": "f64", "BOOLEAN": "bool"}


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str  # VARCHAR, BIGINT, DOUBLE or BOOLEAN
    nullable: bool = False


@dataclass(frozen=True)
class ArtifactSchema:
    type: str
    version: int
    columns: tuple[ColumnSpec, ...]
    sort_key: tuple[str, ...]
    time_column: str | None

    @property
    def names(self) -> list[str]:
        return [column.name for column in self.columns]

    def hash_columns(self) -> list[HashColumn]:
        return [HashColumn(column.name, KINDS[column.type]) for column in self.columns]

    def arrow_schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, ARROW_TYPES[c.type], nullable=c.nullable) for c in self.columns])

    def order_by(self) -> list[str]:
        """Sort key, then every remaining canonical column: the hash order."""
        return [*self.sort_key, *[name for name in self.names if name not in self.sort_key]]


def _columns(*specs: tuple[str, str] | tuple[str, str, bool]) -> tuple[ColumnSpec, ...]:
    return tuple(ColumnSpec(*spec) for spec in specs)


OHLCV_SLICE = ArtifactSchema(
    type="ohlcv_slice",
    version=1,
    columns=_columns(
        ("token", "VARCHAR"), ("chain", "VARCHAR"), ("interval", "VARCHAR"), ("ts", "BIGINT"),
        ("open", "DOUBLE"), ("high", "DOUBLE"), ("low", "DOUBLE"), ("close", "DOUBLE"), ("volume", "DOUBLE"),
    ),
    sort_key=("token", "chain", "interval", "ts"),
    time_column="ts",
)  # fmt: skip

ALERTS = ArtifactSchema(
    type="alerts",
    version=1,
    columns=_columns(
        ("call_id", "VARCHAR"), ("caller", "VARCHAR"), ("token", "VARCHAR"), ("chain", "VARCHAR"),
        ("ts", "BIGINT"), ("price", "DOUBLE", True),
    ),
    sort_key=("ts", "call_id"),
    time_column="ts",
)  # fmt: skip

RUN_RESULTS = ArtifactSchema(
    type="run_results",
    version=1,
    columns=_columns(
        ("run_id", "VARCHAR"), ("sweep_id", "VARCHAR"), ("scenario_id", "VARCHAR"), ("interval", "VARCHAR"),
        ("lag_ms", "BIGINT"), ("overlay_set", "VARCHAR"), ("call_id", "VARCHAR"), ("caller", "VARCHAR", True),
        ("token", "VARCHAR", True), ("chain", "VARCHAR", True), ("call_ts", "BIGINT", True),
        ("entry_ts", "BIGINT", True), ("entry_px", "DOUBLE", True), ("exit_ts", "BIGINT", True),
        ("exit_px", "DOUBLE", True), ("exit_reason", "VARCHAR", True), ("gross_return", "DOUBLE", True),
        ("net_return", "DOUBLE", True), ("fees", "DOUBLE", True), ("slippage", "DOUBLE", True),
        ("candles_used", "BIGINT", True), ("tradeable", "BOOLEAN"), ("skip_reason", "VARCHAR", True),
    ),
    sort_key=("run_id", "call_id"),
    time_column="call_ts",
)  # fmt: skip

FEATURE_KEY_COLUMNS = _columns(
    ("token", "VARCHAR"), ("chain", "VARCHAR"), ("interval", "VARCHAR"), ("ts", "BIGINT"), ("ret_1", "DOUBLE", True)
)
FEATURE_WINDOW_PREFIXES = ("ret", "vol", "atr", "volume_z")


def features_schema(windows: Sequence[int]) -> ArtifactSchema:
    columns = list(FEATURE_KEY_COLUMNS)
    for window in windows:
        for prefix in FEATURE_WINDOW_PREFIXES:
            columns.append(ColumnSpec(f"{prefix}_{window}", "DOUBLE", True))
    columns.append(ColumnSpec("drawdown", "DOUBLE", True))
    return ArtifactSchema(
        type="features",
        version=1,
        columns=tuple(columns),
        sort_key=("token", "chain", "interval", "ts"),
        time_column="ts",
    )


_WINDOW_COLUMN = re.compile(r"^(ret|vol|atr|volume_z)_([0-9]+)$")


def features_windows_of(names: Sequence[str]) -> list[int] | None:
    """The windows of a features column list, or None when the list is not canonical."""
    if len(names) < 6 or [n for n in names[:5]] != [c.name for c in FEATURE_KEY_COLUMNS]:
        return None
    if names[-1] != "drawdown":
        return None
    middle = names[5:-1]
    if len(middle) % 4:
        return None
    windows: list[int] = []
    for start in range(0, len(middle), 4):
        match = _WINDOW_COLUMN.match(middle[start])
        if not match:
            return None
        window = int(match.group(2))
        expected = [f"{prefix}_{window}" for prefix in FEATURE_WINDOW_PREFIXES]
        if list(middle[start : start + 4]) != expected:
            return None
        windows.append(window)
    return windows


KNOWN_SCHEMAS: dict[str, ArtifactSchema] = {s.type: s for s in (OHLCV_SLICE, ALERTS, RUN_RESULTS)}
# "features" is known too, with columns that depend on its windows; "report" is HTML only.
FEATURES_TYPE = "features"
REPORT_TYPE = "report"
