#!/usr/bin/env python3
"""Reads the logs of the benchmarks (one file per benchmark) and prints one table: every line that states a
target, with the measured value, the target and whether it is met, plus the headline figures of benchmarks
without a target. Used by bench/all; standard library only.

A target line is any line holding "target <op> <number><unit>" (op: >=, >, <=, <; unit: %, x, ×, ms or none);
the measured value is the last number with the same unit before the word "target" (e.g. "108% of baseline",
"3.7x", "p50=0.285 ms", "= 41.5% rows committed"). A line also saying "met"/"NOT met" keeps its own verdict.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

TARGET = re.compile(r"target\s*(?:p50\s*)?(>=|<=|>|<)\s*([0-9][0-9,]*(?:\.[0-9]+)?)\s*(%|x|×|ms)?")
NUMBER = r"([0-9][0-9,]*(?:\.[0-9]+)?)\s*"
HEADLINE = re.compile(r"(trials/s|backtests/s|rows/s|candles/s|ops/s)")


def parse_line(line: str) -> tuple[str, str, str, str] | None:
    """(measure, value, target, verdict) for a target line, else None."""
    match = TARGET.search(line)
    if not match:
        return None
    op, target, unit = match.group(1), match.group(2), match.group(3) or ""
    before = line[: match.start()]
    unit_pattern = {"%": r"%", "x": r"(?:x|×)", "×": r"(?:x|×)", "ms": r"ms", "": r""}[unit]
    if "p50" in match.group(0):
        values = re.findall(r"p50=" + NUMBER + unit_pattern, before)
    else:
        values = re.findall(NUMBER + unit_pattern + (r"(?![0-9])" if unit == "" else ""), before)
    if not values:
        return None
    # A line measuring two things against one target ("41.5% rows committed, 27.1% sealed") is judged on the first.
    value = values[0] if re.search(r"=\s*" + NUMBER + unit_pattern, before) else values[-1]
    measured = float(value.replace(",", ""))
    goal = float(target.replace(",", ""))
    met = {">=": measured >= goal, ">": measured > goal, "<=": measured <= goal, "<": measured < goal}[op]
    stated = re.search(r"\b(NOT met|met)\b", line[match.end():])
    verdict = stated.group(1) if stated else ("met" if met else "NOT met")
    measure = re.split(r"\s{2,}|:\s", line.strip())[0].strip()
    return measure, f"{value}{unit}", f"{op} {target}{unit}", verdict


def summarize(logs: list[Path]) -> str:
    rows: list[tuple[str, str, str, str, str]] = []
    for log in logs:
        name = log.stem
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        targets = 0
        for line in lines:
            parsed = parse_line(line)
            if parsed:
                rows.append((name, *parsed))
                targets += 1
        if targets == 0:
            for line in lines:
                if HEADLINE.search(line) and not line.lstrip().startswith(("20", "[")):
                    rows.append((name, line.strip()[:90], "", "(figure only)", ""))
    widths = [max(len(row[i]) for row in rows + [("benchmark", "measure", "value", "target", "verdict")]) for i in range(5)]
    out = []
    header = ("benchmark", "measure", "value", "target", "verdict")
    out.append("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    out.append("  ".join("-" * w for w in widths))
    for row in rows:
        out.append("  ".join(c.ljust(w) for c, w in zip(row, widths)))
    return "\n".join(out)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: summarize.py LOG...", file=sys.stderr)
        return 2
    print(summarize([Path(a) for a in argv]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
