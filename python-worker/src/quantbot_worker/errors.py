"""Structured failures that travel back to the daemon as ``WorkerError`` frames."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


class ErrorCode(enum.IntEnum):
    """Mirror of ``WorkerError.Code`` (a test checks that the numbers match the proto)."""

    CODE_UNSPECIFIED = 0
    INVALID_ARGUMENT = 1
    INVALID_SQL = 2
    INVALID_INPUT_DATA = 3
    PATH_NOT_ALLOWED = 4
    NOT_FOUND = 5
    CANCELLED = 6
    DEADLINE_EXCEEDED = 7
    INTERNAL = 8
    RESOURCE_EXHAUSTED = 9


@dataclass(frozen=True)
class Issue:
    """One problem in the input data: file (relative to the source), 1-based data row, column."""

    file: str
    row: int
    column: str
    message: str

    def describe(self) -> str:
        where = self.file or "<input>"
        if self.row > 0:
            where += f" row {self.row}"
        if self.column:
            where += f" column {self.column}"
        return f"{where}: {self.message}"


MAX_ISSUES = 50


class WorkerFailure(Exception):
    """A failure the handler knows how to describe; becomes a WorkerError with this code."""

    def __init__(self, code: ErrorCode, message: str, issues: Sequence[Issue] = ()) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.issues: tuple[Issue, ...] = tuple(issues)


class RequestAborted(Exception):
    """The running request was cancelled by the daemon or passed its timeout."""

    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid_argument(message: str) -> WorkerFailure:
    return WorkerFailure(ErrorCode.INVALID_ARGUMENT, message)


class IssueList:
    """Collects issues, keeps the first ``limit`` and counts the rest."""

    def __init__(self, limit: int = MAX_ISSUES) -> None:
        self.limit = limit
        self.kept: list[Issue] = []
        self.total = 0

    def add(self, issue: Issue) -> None:
        self.total += 1
        if len(self.kept) < self.limit:
            self.kept.append(issue)

    def extend(self, issues: Iterable[Issue], total: int | None = None) -> None:
        """Adds issues; ``total`` is how many there were when ``issues`` is already capped."""
        listed = 0
        for issue in issues:
            listed += 1
            if len(self.kept) < self.limit:
                self.kept.append(issue)
        self.total += listed if total is None else max(total, listed)

    def __bool__(self) -> bool:
        return self.total > 0

    def failure(self, what: str) -> WorkerFailure:
        files = sorted({issue.file for issue in self.kept if issue.file})
        first = self.kept[0].describe() if self.kept else ""
        message = f"{what}: {self.total} problem{'s' if self.total != 1 else ''}"
        if files:
            message += f" in {', '.join(files[:5])}{' ...' if len(files) > 5 else ''}"
        message += f"; first: {first}"
        if self.total > len(self.kept):
            message += f" (the first {len(self.kept)} are listed, {self.total - len(self.kept)} more not shown)"
        return WorkerFailure(ErrorCode.INVALID_INPUT_DATA, message, self.kept)
