"""The official per-iteration cosine schedule."""

import math

import pytest
import torch
from prompt_inversion.schedules import IterationCosineLR


def test_cosine_per_step_from_the_base_rate_to_eta_min():
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.0)
    schedule = IterationCosineLR(optimizer, eta_min=0.1)
    schedule.set_step_budget(4)
    rates = [optimizer.param_groups[0]["lr"]]
    for _ in range(4):
        optimizer.step()
        schedule.step()
        rates.append(optimizer.param_groups[0]["lr"])
    expected = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(5)]
    assert rates == pytest.approx(expected)  # 1.0, 0.868, 0.55, 0.232, 0.1
