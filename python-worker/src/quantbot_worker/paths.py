"""Checks that request paths stay inside the configured roots."""

from __future__ import annotations

import os
from collections.abc import Sequence

from quantbot_worker.errors import ErrorCode, WorkerFailure


def is_inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def resolve_inside(path: str, roots: Sequence[str], what: str) -> str:
    """Returns the real path of ``path`` if it resolves inside one of ``roots``.

    ``..`` components are refused outright, even when they would resolve inside a root; symlinks
    are followed and the target must still be inside a root. Existence is checked last, so the
    answer for a path outside the roots does not tell whether it exists.
    """
    if not path:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"{what} is required")
    if "\x00" in path:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"{what} contains a NUL character")
    if not os.path.isabs(path):
        raise WorkerFailure(ErrorCode.PATH_NOT_ALLOWED, f"{what} must be an absolute path: {path!r}")
    if ".." in path.split(os.sep):
        raise WorkerFailure(ErrorCode.PATH_NOT_ALLOWED, f"{what} must not contain '..': {path!r}")
    if not roots:
        raise WorkerFailure(ErrorCode.PATH_NOT_ALLOWED, f"{what} {path!r}: no import roots are configured")
    real = os.path.realpath(path)
    if not any(is_inside(real, root) for root in roots):
        raise WorkerFailure(
            ErrorCode.PATH_NOT_ALLOWED,
            f"{what} {path!r} resolves to {real!r}, outside the allowed roots {list(roots)}",
        )
    if not os.path.exists(real):
        raise WorkerFailure(ErrorCode.NOT_FOUND, f"{what} {path!r} does not exist")
    return real


def check_input_files(paths: Sequence[str], roots: Sequence[str], what: str) -> list[str]:
    """Absolute Parquet paths named by the daemon: must exist and sit inside the allowed folders."""
    if not paths:
        raise WorkerFailure(ErrorCode.INVALID_ARGUMENT, f"{what}: at least one Parquet path is required")
    resolved = []
    for path in paths:
        real = resolve_inside(path, roots, what)
        if not os.path.isfile(real):
            raise WorkerFailure(ErrorCode.NOT_FOUND, f"{what} {path!r} is not a file")
        resolved.append(real)
    return resolved
