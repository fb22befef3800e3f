"""The two training objectives and their weighted sum.

InfoNCE uses the other pairs of the batch as negatives (no memory bank: batches are small and
CPU-bound, and in-batch negatives need no extra encoder passes); it is symmetric (a->b and
b->a) so neither side of a pair is privileged. Extra negatives (e.g. the batch's
classification-only examples) can be appended to the denominator for free.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F


def info_nce(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    temperature: float = 0.05,
    extra_negatives: torch.Tensor | None = None,
) -> torch.Tensor:
    """Symmetric InfoNCE: row i of z_a and row i of z_b are a positive pair, all else negative.

    Inputs are expected L2-normalised (cosine similarity / temperature are the logits).
    """
    if z_a.shape != z_b.shape or z_a.dim() != 2:
        raise ValueError(f"z_a and z_b must both be [N, D]; got {tuple(z_a.shape)} and {tuple(z_b.shape)}")
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    n = z_a.shape[0]
    if n == 0:
        return z_a.sum() * 0.0
    targets = torch.arange(n, device=z_a.device)
    logits_ab = z_a @ z_b.t() / temperature
    logits_ba = z_b @ z_a.t() / temperature
    if extra_negatives is not None and extra_negatives.numel():
        logits_ab = torch.cat([logits_ab, z_a @ extra_negatives.t() / temperature], dim=1)
        logits_ba = torch.cat([logits_ba, z_b @ extra_negatives.t() / temperature], dim=1)
    return 0.5 * (F.cross_entropy(logits_ab.float(), targets) + F.cross_entropy(logits_ba.float(), targets))


def classification_loss(
    logits: torch.Tensor, labels: torch.Tensor, pos_weight: float | None = None
) -> torch.Tensor:
    """Binary cross-entropy on raw logits; entries with label < 0 (unlabelled) are ignored."""
    mask = labels >= 0
    if not bool(mask.any()):
        return logits.sum() * 0.0
    pw = None if pos_weight is None else torch.tensor(pos_weight, device=logits.device, dtype=torch.float32)
    return F.binary_cross_entropy_with_logits(logits[mask].float(), labels[mask].float(), pos_weight=pw)


@dataclass
class LossParts:
    total: torch.Tensor
    contrastive: torch.Tensor
    classification: torch.Tensor


def combined_loss(
    z_a: torch.Tensor,
    z_b: torch.Tensor,
    logits: torch.Tensor,
    labels: torch.Tensor,
    lambda_contrastive: float = 0.5,
    lambda_classification: float = 0.5,
    temperature: float = 0.05,
    extra_negatives: torch.Tensor | None = None,
    pos_weight: float | None = None,
) -> LossParts:
    """total = lambda_contrastive * InfoNCE + lambda_classification * BCE."""
    l_con = info_nce(z_a, z_b, temperature, extra_negatives) if z_a.shape[0] else logits.sum() * 0.0
    l_cls = classification_loss(logits, labels, pos_weight)
    total = lambda_contrastive * l_con + lambda_classification * l_cls
    return LossParts(total=total, contrastive=l_con, classification=l_cls)
