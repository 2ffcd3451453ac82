"""FeatureGini aggregates per class over batches (and processes) and sets dead filters apart."""

import pytest
import torch
from gini_loss.metric import FeatureGini

CASE_E = torch.tensor([[1.0, 2], [3, 1], [2, 2]]).reshape(3, 2, 1, 1)
LABELS_E = torch.tensor([0, 1, 1])


def test_split_over_batches_equals_the_whole_split_at_once():
    metric = FeatureGini(2)
    metric.update(CASE_E[:2], LABELS_E[:2])
    metric.update(CASE_E[2:], LABELS_E[2:])  # a batch with class 1 only has a batch Gini of 0
    torch.testing.assert_close(
        metric.class_distribution(), torch.tensor([[2 / 7, 5 / 7], [4 / 7, 3 / 7]])
    )
    assert metric.compute().item() == pytest.approx(0.4489796, abs=1e-6)
    assert metric.dead_filters().item() == 0


def test_dead_filters_are_excluded_and_counted():
    metric = FeatureGini(2)
    metric.update(torch.tensor([[2.0, 0], [2, 0], [0, 0], [1, 0]]), torch.tensor([0, 0, 1, 1]))
    # live filter p = [0.8, 0.2] -> 1 - 0.64 - 0.04; the official mean would be (0.32 + 1) / 2
    assert metric.compute().item() == pytest.approx(0.32, abs=1e-6)
    assert metric.dead_filters().item() == 1


def test_states_merge_by_sum_as_under_ddp_and_reset_forgets_the_width():
    whole, first, second = FeatureGini(2), FeatureGini(2), FeatureGini(2)
    tokens = torch.rand(3, 5, 4)  # [B, N, C] tokens: activation = mean |x| over tokens
    whole.update(tokens, LABELS_E)
    first.update(tokens[:1], LABELS_E[:1])
    second.update(tokens[1:], LABELS_E[1:])
    first.merge_state(second)
    torch.testing.assert_close(first.compute(), whole.compute())
    whole.reset()
    with pytest.raises(RuntimeError, match="seen no features"):
        whole.compute()
    whole.update(torch.rand(3, 7), LABELS_E)  # a different width after reset is fine
    assert whole.class_distribution().shape == (7, 2)
