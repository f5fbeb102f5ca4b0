"""Parameter importance of a full factorial grid by functional ANOVA.

A sweep crosses every level of every factor (interval × lag × overlay set, and caller when every
caller has a result in every scenario), so the target ``y`` is known on the whole grid and the
functional ANOVA decomposition under the uniform measure over the grid is exact (no model, no
sampling)::

    y(a, b, c, …) = f0 + f_A(a) + f_B(b) + … + f_AB(a, b) + … + (higher-order terms)

``f0`` is the grand mean, a main effect ``f_A(a)`` is the mean of ``y`` with ``A = a`` minus ``f0``,
a pairwise term ``f_AB(a, b)`` is the mean with ``A = a, B = b`` minus ``f_A(a) + f_B(b) + f0``. The
terms are orthogonal, so ``Var(y) = Σ Var(f_A) + Σ Var(f_AB) + Var(rest)``, and each term's share
of the variance is its importance (Hooker 2007; Hutter, Hoos & Leyton-Brown 2014 use the same
decomposition over a fitted random forest; a grid needs no model).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Decomposition", "Term", "complete_grid", "functional_anova"]


@dataclass(frozen=True)
class Term:
    """One component: one factor (main effect) or two (pairwise interaction)."""

    factors: tuple[str, ...]
    variance: float
    share: float

    @property
    def label(self) -> str:
        return " × ".join(self.factors)


@dataclass(frozen=True)
class Decomposition:
    factors: tuple[str, ...]
    mean: float
    variance: float
    terms: tuple[Term, ...]
    # Variance of everything above second order (three-way and up); never negative beyond rounding.
    higher_order_variance: float

    @property
    def higher_order_share(self) -> float:
        return self.higher_order_variance / self.variance if self.variance > 0 else 0.0


def functional_anova(factors: Sequence[str], grid: np.ndarray) -> Decomposition:
    """Main effects and pairwise interactions of ``grid`` (one axis per factor, no NaN)."""
    y = np.asarray(grid, dtype=float)
    if y.ndim != len(factors):
        raise ValueError(f"the grid has {y.ndim} axes but {len(factors)} factors were named")
    if y.size == 0 or np.isnan(y).any():
        raise ValueError("the grid must be complete (no empty axis, no NaN)")
    axes = tuple(range(y.ndim))
    f0 = float(y.mean())
    total = float(((y - f0) ** 2).mean())
    if total <= (float(np.abs(y).max()) * 1e-9) ** 2:
        total = 0.0  # a constant grid up to rounding: nothing to share out
    mains: dict[int, np.ndarray] = {}
    terms: list[Term] = []
    for i in axes:
        mains[i] = y.mean(axis=tuple(a for a in axes if a != i)) - f0
        variance = float((mains[i] ** 2).mean())
        terms.append(Term((factors[i],), variance, variance / total if total > 0 else 0.0))
    for i, j in itertools.combinations(axes, 2):
        marginal = y.mean(axis=tuple(a for a in axes if a not in (i, j)))
        pair = marginal - mains[i][:, None] - mains[j][None, :] - f0
        variance = float((pair**2).mean())
        terms.append(Term((factors[i], factors[j]), variance, variance / total if total > 0 else 0.0))
    explained = sum(t.variance for t in terms)
    rest = max(total - explained, 0.0)
    terms.sort(key=lambda t: (-t.variance, t.label))
    return Decomposition(tuple(factors), f0, total, tuple(terms), rest)


@dataclass(frozen=True)
class Grid:
    factors: tuple[str, ...]
    levels: tuple[tuple[str, ...], ...]
    values: np.ndarray
    # Levels left out because some of their cells had no value, as (factor, level).
    dropped: tuple[tuple[str, str], ...]


def complete_grid(
    factors: Sequence[str], levels: Sequence[Sequence[str]], cells: Mapping[tuple[str, ...], float]
) -> Grid | None:
    """The grid of ``cells`` over the levels; while a cell is missing, drops the level with most gaps.

    Returns None when no complete grid with at least two levels of some factor is left.
    """
    kept = [list(level) for level in levels]
    dropped: list[tuple[str, str]] = []
    while True:
        if any(not level for level in kept):
            return None
        shape = tuple(len(level) for level in kept)
        values = np.full(shape, np.nan)
        for index in itertools.product(*(range(n) for n in shape)):
            key = tuple(kept[axis][i] for axis, i in enumerate(index))
            value = cells.get(key)
            if value is not None and np.isfinite(value):
                values[index] = value
        missing = np.isnan(values)
        if not missing.any():
            if max(shape) < 2:
                return None
            return Grid(tuple(factors), tuple(tuple(level) for level in kept), values, tuple(dropped))
        worst: tuple[float, int, int] | None = None
        for axis, level in enumerate(kept):
            if len(level) < 2:
                continue
            other = tuple(a for a in range(len(shape)) if a != axis)
            gaps = missing.mean(axis=other) if other else missing.astype(float)
            for i, gap in enumerate(gaps):
                if worst is None or gap > worst[0]:
                    worst = (float(gap), axis, i)
        if worst is None or worst[0] == 0:
            return None
        _, axis, i = worst
        dropped.append((factors[axis], kept[axis][i]))
        del kept[axis][i]
