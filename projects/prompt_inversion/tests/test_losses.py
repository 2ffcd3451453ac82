"""The objectives and the metric on hand-computed tensors (spec §13)."""

import torch
import torch.nn.functional as F
from prompt_inversion.losses import joint_loss, mean_cosine, regression_loss

PRED = F.normalize(torch.tensor([[0.0, 1.0, 0.0], [1.0, 1.0, 0.0]]), dim=1)
TARGET = torch.tensor([[0.0, 0.6, 0.8], [1.0, 0.0, 0.0]])
LOGITS = torch.tensor([[0.0, 1.0, -1.0], [3.0, -2.0, 0.5]])
LABELS = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])


def close(value: torch.Tensor, expected: float) -> bool:
    return abs(float(value) - expected) < 1e-6


def test_joint_loss_terms():
    terms = joint_loss(PRED, TARGET, LOGITS, LABELS, bce_weight=0.1)
    # cosine: mean(1 - 0.6, 1 - 1/sqrt(2)); BCE and Huber by hand (float32)
    assert close(terms["cosine"], 0.34644660)
    assert close(terms["bce"], 0.32821050)
    assert close(terms["huber"], 0.11548220)
    assert close(terms["loss"], 0.49474987)


def test_vanilla_drops_the_bce_term():
    terms = regression_loss(PRED, TARGET)
    assert "bce" not in terms
    assert close(terms["loss"], 0.34644660 + 0.11548220)


def test_the_metric_is_the_mean_of_per_sample_cosines():
    assert close(mean_cosine(PRED, TARGET), (0.6 + 2**-0.5) / 2)
    assert close(mean_cosine(TARGET, TARGET), 1.0)
    of_means = F.cosine_similarity(PRED.mean(0), TARGET.mean(0), dim=0)  # 0.6626, not the metric
    assert abs(float(mean_cosine(PRED, TARGET)) - float(of_means)) > 0.005
