"""Character n-gram path: the stored arrays reproduce scikit-learn's TF-IDF + logistic regression."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression

from ml.charngrams import CharNgramModel, ngram_counts
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
