"""LeRaC's curriculum through Lightning's hook order: spec checks 3, 4, 5, 6, 7 and bad input."""

from __future__ import annotations

import itertools
import json
import math

import pytest
import torch
from lerac.callbacks import DelayedCosine, LeRaC
from lerac.groups import lerac_param_groups
from lerac.schedules import paper_lr, timm_cosine

from shared.errors import ConfigError
from shared.models import cifar_resnet18, digits_resnet

REL = 1e-6


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL)


def r18_groups(min_lr=1e-5, clf_lr=1e-3):
    return lerac_param_groups(cifar_resnet18(10), "resnet", eta0=0.1, min_lr=min_lr, clf_lr=clf_lr)


def column(groups, name):
    return [g["name"] for g in groups].index(name)


def test_official_trajectory_resnet18_cifar10(sim):
    # Check 3, and check 7 for step decay: official decays at the start of epochs 35, 65, 95
    # are MultiStepLR milestones 34, 64, 94 acting on the current (settled) rates.
    groups = r18_groups()
    optimizer = sim.optimizer(groups)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [34, 64, 94], 0.1)
    module = sim.module(0.1, "multistep", [34, 64, 94])
    callback = LeRaC("official", update_per_epoch=1, stop_update_epoch=20, stop_lr=0.11)
    seen = sim.simulate([callback], optimizer, module, epochs=200, batches=2, scheduler=scheduler)
    table = {
        1: (1e-2, 1e-4, 1e-5, 1e-6, 1e-4),
        2: (1e-1, 1e-3, 1e-4, 1e-5, 1e-3),
        3: (1e-1, 1e-2, 1e-3, 1e-4, 1e-2),
        4: (1e-1, 1e-1, 1e-2, 1e-3, 1e-1),
        5: (1e-1, 1e-1, 1e-1, 1e-2, 1e-1),
    }
    cols = [
        column(groups, n) for n in ("layer1.0", "layer2.0", "layer2.1", "layer3.0", "classifier")
    ]
    deep = [column(groups, n) for n in ("layer3.0", "layer3.1", "layer4.0", "layer4.1")]
    for epoch in range(1, 201):
        lrs = seen[(epoch, 1)]
        assert lrs == seen[(epoch, 2)]  # one update per epoch: nothing changes inside an epoch
        if epoch in table:
            assert all(close(lrs[c], v) for c, v in zip(cols, table[epoch], strict=True)), epoch
            assert all(close(lrs[c], lrs[deep[0]]) for c in deep)
        else:
            expected = 0.1 if epoch < 35 else 1e-2 if epoch < 65 else 1e-3 if epoch < 95 else 1e-4
            assert all(close(v, expected) for v in lrs), (epoch, lrs)
        assert max(lrs) <= 0.1 * (1 + 1e-9)  # check 6


def test_in_epoch_update_points(sim):
    # Check 4: 4 updates per epoch, L = 8: after steps 2, 4, 6 and at the epoch's end; a block
    # starting at 1e-8 (R18 Tiny ImageNet, layer4) reaches 1e-1 at step 7 of epoch 2.
    groups = r18_groups(min_lr=1e-7, clf_lr=1e-7)
    optimizer = sim.optimizer(groups)
    module = sim.module(0.1, "constant")
    callback = LeRaC("official", update_per_epoch=4, stop_update_epoch=20, stop_lr=0.11)
    seen = sim.simulate([callback], optimizer, module, epochs=3, batches=8)
    col = column(groups, "layer4.1")
    assert close(groups[col]["lerac_start"], 1e-8)
    expected = {(1, s): 1e-8 * 10 ** ((s - 1) // 2) for s in range(1, 9)}
    expected |= {(2, s): 1e-4 * 10 ** ((s - 1) // 2) for s in range(1, 8)}
    for key, value in expected.items():
        assert close(seen[key][col], value), (key, seen[key][col], value)
    changes = [
        key
        for key, prev in zip(list(seen)[1:], list(seen)[:-1], strict=True)
        if seen[key][col] != seen[prev][col]
    ]
    assert changes == [(1, 3), (1, 5), (1, 7), (2, 1), (2, 3), (2, 5), (2, 7)]
    assert all(max(v) <= 0.1 * (1 + 1e-9) for v in seen.values())


def paper_groups():
    # Ordered starts: stem 0.1, 1e-2 ... layer4 1e-5, fc 1e-5 (clf_lr 1e-4).
    return lerac_param_groups(digits_resnet(10), "resnet", eta0=0.1, min_lr=1e-5, clf_lr=1e-4)


def test_paper_mode_follows_the_closed_form_then_hands_off(sim):
    # Checks 5-7 in paper mode: k = 4 epochs of 3 batches; MultiStepLR(8) then acts once.
    groups = paper_groups()
    starts = [g["lerac_start"] for g in groups]
    optimizer = sim.optimizer(groups)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, [8, 12], 0.1)
    module = sim.module(0.1, "multistep", [8, 12])
    callback = LeRaC("paper", k_epochs=4)
    seen = sim.simulate([callback], optimizer, module, epochs=15, batches=3, scheduler=scheduler)
    assert callback.k == 12
    for (epoch, step), lrs in seen.items():
        t = (epoch - 1) * 3 + step - 1
        if t <= 12:
            assert all(close(v, paper_lr(s, 0.1, t, 12)) for v, s in zip(lrs, starts, strict=True))
            assert all(b <= a * (1 + 1e-12) for a, b in itertools.pairwise(lrs))
        else:
            expected = 0.1 if epoch <= 8 else 1e-2 if epoch <= 12 else 1e-3
            assert all(close(v, expected) for v in lrs), (epoch, step, lrs)
        assert max(lrs) <= 0.1 * (1 + 1e-9)
    assert all(v == 0.1 for v in seen[(5, 1)])  # t = k: every block exactly at η⁽⁰⁾


def cvt_like_groups():
    # η⁽⁰⁾ 2e-3 as for CvT: stem 2e-3, blocks 2e-4 ... 2e-7, classifier 2e-6.
    return lerac_param_groups(
        digits_resnet(10), "resnet", eta0=2e-3, min_lr=2e-7, clf_lr=1e-3, s0_factor=0.1
    )


def test_cosine_hand_off_starts_from_the_rates_at_stop_update_epoch(sim):
    groups = cvt_like_groups()
    optimizer = sim.optimizer(groups)
    module = sim.module(2e-3, "constant")
    callbacks = [
        LeRaC("official", update_per_epoch=2, stop_update_epoch=5, stop_lr=0.0021),
        DelayedCosine(start_epoch=5, lr_min=5e-5),
    ]
    seen = sim.simulate(callbacks, optimizer, module, epochs=20, batches=4)
    assert close(seen[(1, 1)][column(groups, "layer4.0")], 2e-7)
    for epoch in range(3, 7):  # settled, untouched: no reset, no double scaling
        assert all(close(v, 2e-3) for v in seen[(epoch, 1)])
    for epoch in range(6, 21):
        expected = timm_cosine(2e-3, epoch - 6, 20, 5e-5)
        assert all(close(v, expected) for v in seen[(epoch, 4)]), epoch
    assert all(close(v, 5e-5 + 0.5 * 1.95e-3) for v in seen[(16, 1)])  # t = 10 of 20: cos = 0


def test_delayed_cosine_keeps_each_group_base(sim):
    groups = [
        {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 2e-3},
        {"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 1e-3},
    ]
    optimizer = torch.optim.SGD(groups, lr=2e-3)
    seen = sim.simulate(
        [DelayedCosine(start_epoch=2, lr_min=0.0, t_initial=4)],
        optimizer,
        sim.module(2e-3, "constant"),
        6,
        1,
    )
    assert seen[(3, 1)] == pytest.approx([2e-3, 1e-3])
    assert seen[(4, 1)] == pytest.approx(
        [1e-3 * (1 + math.cos(math.pi / 4)), 0.5e-3 * (1 + math.cos(math.pi / 4))]
    )
    assert seen[(6, 1)] == pytest.approx(
        [1e-3 * (1 + math.cos(3 * math.pi / 4)), 0.5e-3 * (1 + math.cos(3 * math.pi / 4))]
    )


def start(sim, callbacks, groups, module, batches=4):
    sim.simulate(callbacks, sim.optimizer(groups), module, epochs=0, batches=batches)


def test_paper_mode_refuses_unordered_rates(sim):
    groups = r18_groups()  # fc starts at 1e-4, above layer3/4's 1e-6
    with pytest.raises(ConfigError, match=r"non-increasing"):
        start(sim, [LeRaC("paper", k=10)], groups, sim.module(0.1, "multistep", [100]))
    start(
        sim,
        [LeRaC("official", stop_update_epoch=20)],
        r18_groups(),
        sim.module(0.1, "multistep", [34]),
    )


def test_k_zero_and_bad_settings_are_clear_errors():
    with pytest.raises(ConfigError, match=r"LeRaC.k"):
        LeRaC("paper", k=0)
    with pytest.raises(ConfigError, match=r"LeRaC.k_epochs"):
        LeRaC("paper", k_epochs=0)
    with pytest.raises(ConfigError, match=r"exactly one"):
        LeRaC("paper")
    with pytest.raises(ConfigError, match=r"mode"):
        LeRaC("closed_form")
    with pytest.raises(ConfigError, match=r"update_per_epoch"):
        LeRaC(update_per_epoch=3)


def test_hand_off_overlaps_are_refused(sim):
    with pytest.raises(ConfigError, match=r"model.lr_scheduler"):
        start(sim, [LeRaC(stop_update_epoch=8)], paper_groups(), sim.module(0.1, "cosine"))
    with pytest.raises(ConfigError, match=r"model.lr_scheduler.milestones"):
        start(
            sim,
            [LeRaC(stop_update_epoch=20)],
            paper_groups(),
            sim.module(0.1, "multistep", [8, 12]),
        )
    with pytest.raises(ConfigError, match=r"model.lr_scheduler.milestones"):
        start(
            sim, [LeRaC("paper", k_epochs=8)], paper_groups(), sim.module(0.1, "multistep", [8, 12])
        )
    start(sim, [LeRaC("paper", k_epochs=7)], paper_groups(), sim.module(0.1, "multistep", [8, 12]))
    with pytest.raises(ConfigError, match=r"DelayedCosine.start_epoch"):
        start(
            sim,
            [LeRaC(update_per_epoch=2, stop_update_epoch=5, stop_lr=0.0021), DelayedCosine(4)],
            cvt_like_groups(),
            sim.module(2e-3, "constant"),
        )


def test_official_mode_needs_room_and_reachable_rates(sim):
    with pytest.raises(ConfigError, match=r"stop_update_epoch"):  # layer4 needs 4 updates
        start(sim, [LeRaC(stop_update_epoch=4)], paper_groups(), sim.module(0.1, "multistep", [8]))
    with pytest.raises(ConfigError, match=r"ends at"):  # 3e-2 * 10 > 0.11: stuck below η⁽⁰⁾
        groups = paper_groups()
        groups[1]["lerac_start"] = groups[1]["lr"] = 3e-2
        start(sim, [LeRaC(stop_update_epoch=8)], groups, sim.module(0.1, "multistep", [8]))
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": 0.1}]
    with pytest.raises(ConfigError, match=r"LeRaCClassifier"):
        start(sim, [LeRaC()], groups, sim.module(0.1, "multistep", [30]))


def test_divergence_monitor_flags_nan_loss_and_chance_accuracy(tmp_path):
    from types import SimpleNamespace

    from lerac.callbacks import DivergenceMonitor

    module = SimpleNamespace(num_classes=10)
    trainer = SimpleNamespace(
        current_epoch=0, should_stop=False, callback_metrics={}, log_dir=str(tmp_path)
    )
    monitor = DivergenceMonitor(check_epoch=3, margin=0.05)
    monitor.on_train_batch_end(trainer, module, {"loss": torch.tensor(2.3)}, None, 0)
    assert not monitor.report["diverged"] and not trainer.should_stop
    trainer.current_epoch = 1
    monitor.on_train_batch_end(trainer, module, {"loss": torch.tensor(float("nan"))}, None, 5)
    assert monitor.report == {"diverged": True, "reason": "non-finite training loss", "epoch": 2}
    assert trainer.should_stop

    chance = DivergenceMonitor(check_epoch=3, margin=0.05)
    for epoch, acc in ((1, 0.10), (2, 0.11), (3, 0.14)):
        trainer.current_epoch, trainer.callback_metrics = epoch - 1, {"val/acc": torch.tensor(acc)}
        chance.on_train_epoch_end(trainer, module)
        assert chance.report["diverged"] == (epoch == 3)
    healthy = DivergenceMonitor(check_epoch=3, margin=0.05)
    trainer.current_epoch, trainer.callback_metrics = 2, {"val/acc": torch.tensor(0.16)}
    healthy.on_train_epoch_end(trainer, module)
    assert not healthy.report["diverged"]
    healthy.on_fit_end(trainer, module)
    assert json.loads((tmp_path / "divergence.json").read_text())["diverged"] is False
