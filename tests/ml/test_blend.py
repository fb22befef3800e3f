import pytest

from ml.blend import Blend, fit_blend, load_blend, save_blend


def test_fit_prefers_the_informative_score():
    # structural separates the classes, semantic is noise: the fitted weight says so
    structural = [0.9, 0.8, 0.85, 0.95, 0.1, 0.2, 0.15, 0.05] * 5
    semantic = [0.5, 0.6, 0.4, 0.5, 0.6, 0.4, 0.5, 0.55] * 5
    labels = [1, 1, 1, 1, 0, 0, 0, 0] * 5
    blend = fit_blend(structural, semantic, labels)
    assert blend.w_structural > 5 * abs(blend.w_semantic)
    assert blend.combine(0.9, 0.5) > 0.5 > blend.combine(0.1, 0.5)


def test_combine_is_a_probability_and_monotone():
    blend = Blend(4.0, 2.0, -3.0)
    values = [blend.combine(s / 10, 0.5) for s in range(11)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values == sorted(values)
    assert blend.combine(0.5, 0.9) > blend.combine(0.5, 0.1)


def test_round_trip_and_missing(tmp_path):
    assert load_blend(tmp_path) is None
    assert load_blend(None) is None
    blend = Blend(1.5, 0.5, -1.0, "plagiarism train")
    save_blend(blend, tmp_path)
    assert load_blend(tmp_path) == blend


def test_one_class_is_refused():
    with pytest.raises(ValueError):
        fit_blend([0.1, 0.2], [0.3, 0.4], [1, 1])
