"""benchmarks/frozen_encoder.py: what the frozen encoder reads of a file, its cache, and the probe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.frozen_encoder import FrozenEncoderEvidence, FrozenKnnEvidence, frozen_embeddings

SHORT = "int total = 0;\n"  # one window of 32 tokens
LONG = "".join(f"// step {i} of the long tail\nx{i} = f(x{i - 1});\n" for i in range(1, 60))


@pytest.fixture(scope="module")
def tiny_backbone(tmp_path_factory: pytest.TempPathFactory) -> str:
    import torch
    from transformers import BertConfig, BertModel

    from ml.config import PACKAGED_MINILM
    from ml.model import load_tokenizer

    root = tmp_path_factory.mktemp("frozen") / "backbone"
    tok = load_tokenizer(PACKAGED_MINILM)
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=tok.vocab_size, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)).save_pretrained(str(root))
    tok.save_pretrained(str(root))
    return str(root)


def test_vectors_are_unit_length_per_file_and_read_only_the_first_windows(tiny_backbone: str) -> None:
    embed = lambda codes, n: frozen_embeddings(codes, backbone=tiny_backbone, window=32, max_windows=n, log=False)  # noqa: E731
    one = embed([SHORT, LONG, SHORT], 1)
    assert one.shape == (3, 32)
    assert np.allclose(np.linalg.norm(one, axis=1), 1.0, atol=1e-5)
    assert np.allclose(one[0], one[2])  # same text, same vector, wherever it sits in the batch
    assert not np.allclose(one[0], one[1])
    two = embed([SHORT, LONG], 2)
    assert np.allclose(two[0], one[0], atol=1e-5)  # a one-window file is unchanged by more windows
    assert not np.allclose(two[1], one[1], atol=1e-3)  # a long file's second window now counts


def test_cache_is_reused_only_for_the_same_backbone_and_windows(tiny_backbone: str, tmp_path: Path) -> None:
    cache = tmp_path / "vectors.npz"
    first = frozen_embeddings([SHORT], backbone=tiny_backbone, window=32, cache_path=cache, log=False)
    assert cache.exists()
    with np.load(cache) as z:  # plant a different vector: a cache hit must return it unchanged
        keys, vectors, tag = z["keys"], z["vectors"] * 0 + 0.5, z["tag"]
    np.savez(cache, keys=keys, vectors=vectors, tag=tag)
    hit = frozen_embeddings([SHORT, LONG], backbone=tiny_backbone, window=32, cache_path=cache, log=False)
    assert np.allclose(hit[0], 0.5) and not np.allclose(hit[1], 0.5)
    other = frozen_embeddings([SHORT], backbone=tiny_backbone, window=48, cache_path=cache, log=False)
    assert not np.allclose(other[0], 0.5)  # other windows: the planted vector is not theirs
    assert first.shape == other.shape


def test_probe_separates_and_needs_both_classes() -> None:
    rng = np.random.default_rng(0)
    direction = rng.normal(size=16)
    x = rng.normal(size=(60, 16))
    y = (x @ direction > 0).astype(int)
    probe = FrozenEncoderEvidence(x, y)
    scores = probe.scores(np.stack([direction, -direction]))
    assert scores[0] > 0 > scores[1]
    with pytest.raises(ValueError, match="both"):
        FrozenEncoderEvidence(x, np.zeros(60, dtype=int))


def test_knn_reads_the_neighbourhood_not_a_direction() -> None:
    rng = np.random.default_rng(1)
    centres = np.eye(8)[:3]  # humans near axes 0 and 2, generators near axis 1: no one direction splits them
    x = np.concatenate([c + 0.05 * rng.normal(size=(30, 8)) for c in centres])
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    y = np.array([0] * 30 + [1] * 30 + [0] * 30)
    scores = FrozenKnnEvidence(x, y, k=10).scores(centres)
    assert scores[1] == pytest.approx(np.log(11 / 1)) and scores[0] == scores[2] == pytest.approx(np.log(1 / 11))
    assert FrozenKnnEvidence(x[:5], np.array([0, 1, 0, 1, 0]), k=25).k == 5  # k never exceeds the files
    with pytest.raises(ValueError, match="both"):
        FrozenKnnEvidence(x, np.ones(90, dtype=int))
