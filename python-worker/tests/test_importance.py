"""Functional ANOVA of a full factorial grid, checked against shares known analytically and against an
independent computation (least squares on indicator columns, the classical balanced-ANOVA R²)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from quantbot_worker.importance import complete_grid, functional_anova

# Effects with zero sum over their levels (so they are the ANOVA components themselves).
ALPHA = np.array([1.0, -1.0])  # A: 2 levels, variance 1
BETA = np.array([-2.0, 0.0, 2.0])  # B: 3 levels, variance 8/3
S = np.array([1.0, -1.0])
T = np.array([1.0, -2.0, 1.0])  # A×B = S_a T_b: variance mean(S²)·mean(T²) = 1·2 = 2
DELTA = np.array([3.0, -1.0, -1.0, -1.0])  # C: 4 levels, variance 12/4 = 3
U = np.array([1.0, -1.0, 1.0, -1.0])  # A×B×C = S_a T_b U_c: variance 1·2·1 = 2


def known_grid(with_three_way: bool) -> np.ndarray:
    a, b, c = np.meshgrid(range(2), range(3), range(4), indexing="ij")
    y = 0.05 + ALPHA[a] + BETA[b] + S[a] * T[b] + DELTA[c]
    if with_three_way:
        y = y + S[a] * T[b] * U[c]
    return y


def shares(result) -> dict[str, float]:  # type: ignore[no-untyped-def]
    return {t.label: t.share for t in result.terms}


def test_shares_known_analytically() -> None:
    result = functional_anova(["A", "B", "C"], known_grid(with_three_way=False))
    total = 1 + 8 / 3 + 2 + 3
    assert result.mean == pytest.approx(0.05)
    assert result.variance == pytest.approx(total)
    got = shares(result)
    assert got["A"] == pytest.approx(1 / total)
    assert got["B"] == pytest.approx((8 / 3) / total)
    assert got["C"] == pytest.approx(3 / total)
    assert got["A × B"] == pytest.approx(2 / total)
    assert got["A × C"] == pytest.approx(0, abs=1e-12) and got["B × C"] == pytest.approx(0, abs=1e-12)
    assert result.higher_order_share == pytest.approx(0, abs=1e-12)
    # sorted by variance, largest first
    assert [t.label for t in result.terms][:4] == ["C", "B", "A × B", "A"]


def test_three_way_interaction_is_the_remainder() -> None:
    result = functional_anova(["A", "B", "C"], known_grid(with_three_way=True))
    total = 1 + 8 / 3 + 2 + 3 + 2
    assert result.variance == pytest.approx(total)
    assert result.higher_order_share == pytest.approx(2 / total)
    assert shares(result)["A × B"] == pytest.approx(2 / total)
    assert sum(t.share for t in result.terms) + result.higher_order_share == pytest.approx(1)


def r_squared(y: np.ndarray, columns: list[np.ndarray]) -> float:
    design = np.column_stack([np.ones(y.size), *columns])
    fitted = design @ np.linalg.lstsq(design, y, rcond=None)[0]
    return 1 - float(((y - fitted) ** 2).sum()) / float(((y - y.mean()) ** 2).sum())


def indicators(index: np.ndarray, levels: int) -> list[np.ndarray]:
    return [(index == k).astype(float) for k in range(levels)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_least_squares_on_a_random_grid(seed: int) -> None:
    """In a balanced design, main-effect shares sum to R² of the main-effects regression, and adding a
    pair's interaction columns raises R² by exactly that pair's share."""
    shape = (3, 4, 2, 5)
    y = np.random.default_rng(seed).normal(size=shape)
    result = functional_anova(["A", "B", "C", "D"], y)
    index = [ix.ravel() for ix in np.meshgrid(*(range(n) for n in shape), indexing="ij")]
    flat = y.ravel()
    mains = [col for axis, n in enumerate(shape) for col in indicators(index[axis], n)]
    got = shares(result)
    names = "ABCD"
    assert sum(got[n] for n in names) == pytest.approx(r_squared(flat, mains))
    for i, j in itertools.combinations(range(4), 2):
        cell = index[i] * shape[j] + index[j]
        pair = indicators(cell, shape[i] * shape[j])
        assert got[f"{names[i]} × {names[j]}"] == pytest.approx(
            r_squared(flat, mains + pair) - r_squared(flat, mains)
        ), (i, j)
    every_pair = [
        col
        for i, j in itertools.combinations(range(4), 2)
        for col in indicators(index[i] * shape[j] + index[j], shape[i] * shape[j])
    ]
    assert 1 - result.higher_order_share == pytest.approx(r_squared(flat, mains + every_pair))


def test_constant_grid_has_no_shares() -> None:
    result = functional_anova(["A", "B"], np.full((2, 3), 0.1))
    assert result.variance == pytest.approx(0) and all(t.share == 0 for t in result.terms)


def test_incomplete_grid_is_refused() -> None:
    with pytest.raises(ValueError, match="complete"):
        functional_anova(["A", "B"], np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(ValueError, match="axes"):
        functional_anova(["A"], np.zeros((2, 2)))


def test_complete_grid_drops_the_level_with_most_gaps() -> None:
    cells = {(a, b): 1.0 for a in ("x", "y", "z") for b in ("1", "2")}
    del cells[("z", "1")]
    del cells[("z", "2")]
    grid = complete_grid(["A", "B"], [["x", "y", "z"], ["1", "2"]], cells)
    assert grid is not None
    assert grid.levels == (("x", "y"), ("1", "2")) and grid.dropped == (("A", "z"),)
    assert complete_grid(["A"], [["x"]], {("x",): 1.0}) is None
