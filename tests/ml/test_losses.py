"""InfoNCE and BCE: values that mean what they should, and both decrease under training."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from ml.losses import classification_loss, combined_loss, info_nce


def unit(x: torch.Tensor) -> torch.Tensor:
    return F.normalize(x, dim=-1)


def test_info_nce_aligned_pairs_beat_random_pairs() -> None:
    g = torch.Generator().manual_seed(0)
    z = unit(torch.randn(8, 16, generator=g))
    aligned = info_nce(z, z, temperature=0.1)
    shuffled = info_nce(z, z[torch.randperm(8, generator=g)], temperature=0.1)
    assert aligned < 0.1 < shuffled
    # uniform similarities give exactly log(N)
    same = unit(torch.ones(8, 16))
    assert info_nce(same, same, 0.1).item() == pytest.approx(math.log(8), rel=1e-5)


def test_info_nce_is_symmetric_and_extra_negatives_only_add() -> None:
    g = torch.Generator().manual_seed(1)
    a, b = unit(torch.randn(6, 8, generator=g)), unit(torch.randn(6, 8, generator=g))
    assert info_nce(a, b).item() == pytest.approx(info_nce(b, a).item(), rel=1e-6)
    extra = unit(torch.randn(5, 8, generator=g))
    assert info_nce(a, b, extra_negatives=extra) > info_nce(a, b)


def test_info_nce_rejects_bad_shapes() -> None:
    with pytest.raises(ValueError):
        info_nce(torch.zeros(3, 4), torch.zeros(2, 4))
    with pytest.raises(ValueError):
        info_nce(torch.zeros(3, 4), torch.zeros(3, 4), temperature=0)


def test_classification_loss_ignores_unlabelled() -> None:
    logits = torch.tensor([5.0, -5.0, 100.0])
    labels = torch.tensor([1, 0, -1])
    assert classification_loss(logits, labels).item() < 0.01
    assert classification_loss(logits, torch.tensor([-1, -1, -1])).item() == 0.0
    wrong = classification_loss(logits, torch.tensor([0, 1, -1]))
    assert wrong.item() > 4


def test_combined_loss_weights() -> None:
    g = torch.Generator().manual_seed(2)
    a, b = unit(torch.randn(4, 8, generator=g)), unit(torch.randn(4, 8, generator=g))
    logits, labels = torch.randn(6, generator=g), torch.tensor([0, 1, 0, 1, -1, -1])
    p = combined_loss(a, b, logits, labels, lambda_contrastive=0.3, lambda_classification=0.7, temperature=0.2)
    assert p.total.item() == pytest.approx(0.3 * p.contrastive.item() + 0.7 * p.classification.item(), rel=1e-6)


def test_both_losses_decrease_when_optimised() -> None:
    torch.manual_seed(0)
    x_a = torch.randn(16, 10)
    x_b = x_a + 0.5 * torch.randn(16, 10)  # noisy views of the same items
    y = (x_a[:, 0] > 0).long()
    proj = torch.nn.Linear(10, 8)
    clf = torch.nn.Linear(10, 1)
    opt = torch.optim.Adam(list(proj.parameters()) + list(clf.parameters()), lr=0.05)
    first = None
    for _ in range(60):
        za, zb = unit(proj(x_a)), unit(proj(x_b))
        p = combined_loss(za, zb, clf(x_a).squeeze(-1), y, temperature=0.1)
        first = first or (p.contrastive.item(), p.classification.item())
        opt.zero_grad()
        p.total.backward()
        opt.step()
    assert p.contrastive.item() < 0.5 * first[0]
    assert p.classification.item() < 0.5 * first[1]
