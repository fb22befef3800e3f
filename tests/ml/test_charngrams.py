"""Character n-gram path: the stored arrays reproduce scikit-learn's TF-IDF + logistic regression."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

from ml.charngrams import CharNgramModel, ngram_counts, ngram_lines
from tests.ml.conftest import tiny_evidence_rows


def test_scores_equal_the_sklearn_pipeline_and_survive_a_round_trip() -> None:
    codes, _, labels, _ = tiny_evidence_rows()
    counts = ngram_counts(codes, bits=12)
    model = CharNgramModel.fit(counts, np.array(labels), bits=12)
    tfidf = TfidfTransformer(sublinear_tf=True).fit(counts)
    ref = LogisticRegression(C=10.0, max_iter=3000, solver="liblinear").fit(tfidf.transform(counts), labels)
    np.testing.assert_allclose(model.decision_function(codes), ref.decision_function(tfidf.transform(counts)), atol=1e-5)
    arrays, meta = model.to_arrays("n.")
    back = CharNgramModel.from_arrays(arrays, meta, "n.")
    np.testing.assert_array_equal(back.decision_function(codes), model.decision_function(codes))
    assert (model.decision_function(codes) > 0).astype(int).tolist() == labels


def test_tabs_and_package_headers_do_not_change_the_score() -> None:
    codes, _, labels, _ = tiny_evidence_rows()
    model = CharNgramModel.fit(ngram_counts(codes, bits=12), np.array(labels), bits=12)
    spaced = "class A {\n    int f() {\n        return 1;\n    }\n}\n"
    tabbed = "package ch_01;\nclass A {\n\tint f() {\n\t\treturn 1;\n\t}\n}\n"
    a, b = model.decision_function([spaced, tabbed])
    assert a == pytest.approx(b)


def test_arrays_of_another_size_are_refused() -> None:
    codes, _, labels, _ = tiny_evidence_rows()
    model = CharNgramModel.fit(ngram_counts(codes, bits=12), np.array(labels), bits=12)
    arrays, meta = model.to_arrays("n.")
    with pytest.raises(ValueError, match="2\\*\\*13"):
        CharNgramModel.from_arrays(arrays, {**meta, "bits": 13}, "n.")
    with pytest.raises(ValueError, match="columns"):
        CharNgramModel.fit(ngram_counts(codes, bits=10), np.array(labels), bits=12)


@pytest.mark.parametrize(
    "code",
    [
        "package a.b;\r\n\tint x  =  1;\r\n\r\n\n  y\n",
        "def f(x):\n    return x  # naïve\n\n\n",
        "a",
        "",
        "x\t\ty",
    ],
)
def test_ngram_lines_cut_exactly_what_the_hasher_counts(code: str) -> None:
    columns, lines = ngram_lines(code, bits=12)
    counts = ngram_counts([code], bits=12).toarray()[0]
    np.testing.assert_array_equal(np.bincount(columns, minlength=2**12), counts)
    assert len(columns) == len(lines)
    assert all(1 <= n <= code.replace("\r\n", "\n").count("\n") + 1 for n in lines.tolist())


def test_line_effects_add_up_to_the_score_and_point_at_the_telling_line() -> None:
    codes, _, labels, _ = tiny_evidence_rows()
    model = CharNgramModel.fit(ngram_counts(codes, bits=12), np.array(labels), bits=12)
    mixed = "package p;\nint total=0;\nfor(int i=0;i<n;i++){ total+=a[i]; }\n// Calculate the sum\nint z = 0;\n"
    for code in [*codes[:4], mixed]:
        effects = model.line_effects(code)
        assert sum(effects.values()) + model.intercept == pytest.approx(model.decision_function([code])[0], abs=1e-5)
    effects = model.line_effects(mixed)
    assert 1 not in effects  # the package header is not read
    assert max(effects, key=lambda n: effects[n]) == 4  # the AI-style comment, on the file's own line 4
    assert min(effects, key=lambda n: effects[n]) in (2, 3)  # the human-style lines pull the other way
    assert model.line_effects("") == {}
