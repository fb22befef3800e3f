"""Boosted trees as arrays give exactly scikit-learn's scores, survive a save/load, and refuse what they cannot hold."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from ml.trees import TreeEnsemble


@pytest.fixture(scope="module")
def fitted() -> tuple[HistGradientBoostingClassifier, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((1500, 6))
    x[rng.random(x.shape) < 0.05] = np.nan  # missing values take the side each split learned
    y = ((np.nan_to_num(x[:, 0]) + x[:, 1] ** 2 + 0.3 * rng.random(1500)) > 0.9).astype(int)
    return HistGradientBoostingClassifier(max_iter=60, random_state=0).fit(x, y), x


def test_matches_sklearn_including_missing_values(fitted) -> None:  # noqa: ANN001
    clf, x = fitted
    trees = TreeEnsemble.from_sklearn(clf)
    np.testing.assert_allclose(trees.decision_function(x), clf.decision_function(x), atol=1e-9)
    assert trees.feature.shape[0] == clf.n_iter_


def test_round_trip_through_arrays(fitted) -> None:  # noqa: ANN001
    clf, x = fitted
    trees = TreeEnsemble.from_sklearn(clf)
    arrays, meta = trees.to_arrays("t.")
    back = TreeEnsemble.from_arrays(arrays, meta, "t.")
    np.testing.assert_array_equal(back.decision_function(x), trees.decision_function(x))
    with pytest.raises(ValueError, match="missing"):
        TreeEnsemble.from_arrays({k: v for k, v in arrays.items() if not k.endswith("value")}, meta, "t.")


def test_wrong_width_and_unfitted_are_refused(fitted) -> None:  # noqa: ANN001
    clf, x = fitted
    with pytest.raises(ValueError, match=r"\[n, 6\]"):
        TreeEnsemble.from_sklearn(clf).decision_function(x[:, :5])
    with pytest.raises(ValueError, match="fitted"):
        TreeEnsemble.from_sklearn(HistGradientBoostingClassifier())


def test_average_is_the_mean_of_its_members_even_of_different_shapes(fitted) -> None:  # noqa: ANN001
    clf, x = fitted
    y = (clf.decision_function(x) > 0).astype(int)
    other = HistGradientBoostingClassifier(max_iter=25, max_leaf_nodes=7, random_state=1).fit(np.nan_to_num(x), y)
    members = [TreeEnsemble.from_sklearn(clf), TreeEnsemble.from_sklearn(other)]
    assert members[0].feature.shape[1] != members[1].feature.shape[1]  # padding is exercised
    mean = TreeEnsemble.average(members)
    expected = (clf.decision_function(x) + other.decision_function(x)) / 2
    np.testing.assert_allclose(mean.decision_function(x), expected, atol=1e-9)
    assert mean.feature.shape[0] == clf.n_iter_ + other.n_iter_
    arrays, meta = mean.to_arrays("m.")
    np.testing.assert_array_equal(TreeEnsemble.from_arrays(arrays, meta, "m.").decision_function(x), mean.decision_function(x))
    with pytest.raises(ValueError, match="nothing"):
        TreeEnsemble.average([])
