"""The training procedure (spec §4): the released update order per batch in each adversarial
mode, which gradients reach the discriminators (§13.10), and the phase-1 hand-over."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
import torch.nn.functional as F
from vad_distill.datamodules import FastAedDataModule
from vad_distill.fixtures import write_fast_aed
from vad_distill.losses import teacher_maps
from vad_distill.model import StageDiscriminator
from vad_distill.module import VadDistill, phase_for_epoch

from shared.cli import ReproCLI
from shared.data.loader import Loader
from shared.errors import ConfigError

PROJECT = Path(__file__).resolve().parents[1]


def _data(tmp_path, batch_size=16):
    paths = write_fast_aed(tmp_path / "data", frames=8, size=(64, 64))
    return FastAedDataModule(
        str(paths["train_frames"]), str(paths["test_frames"]), str(paths["test_labels"]),
        {k: str(v) for k, v in paths["train_teachers"].items()},
        {k: str(v) for k, v in paths["test_teachers"].items()},
        image_size=(64, 64), loader=Loader(batch_size=batch_size, persistent_workers=False),
    )  # fmt: skip


class StepRecorder(pl.Callback):
    """Wraps every optimiser's ``step``: the call order, and for each discriminator step its
    parameters and gradients just before the update."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.snapshots: list[tuple[int, list[torch.Tensor], list[torch.Tensor]]] = []

    def on_train_start(self, trainer, pl_module) -> None:
        names = ["AE", "G", *(f"D{k + 1}" for k in range(len(trainer.optimizers) - 2))]
        for index, (name, optimizer) in enumerate(zip(names, trainer.optimizers, strict=True)):
            original = optimizer.step

            def step(*args, _name=name, _index=index, _opt=optimizer, _orig=original, **kw):
                self.calls.append(_name)
                if _name.startswith("D"):
                    params = [p for g in _opt.param_groups for p in g["params"]]
                    self.snapshots.append((_index - 2, [p.detach().clone() for p in params],
                                           [p.grad.clone() for p in params]))  # fmt: skip
                return _orig(*args, **kw)

            optimizer.step = step


def _fit(tmp_path, mode, epochs=1, **kwargs):
    data = _data(tmp_path)
    model = VadDistill(adversarial_mode=mode, **kwargs)
    recorder = StepRecorder()
    trainer = pl.Trainer(
        max_epochs=epochs, limit_train_batches=1, limit_val_batches=0, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        callbacks=[recorder], accelerator="cpu",
    )  # fmt: skip
    trainer.fit(model, datamodule=data)
    return model, data, recorder, trainer


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "order"),
    [
        ("official", ["D1", "D2", "G", "D1", "D2"]),
        ("standard", ["D1", "D2", "G"]),
        ("off", ["G"]),
    ],
)
def test_update_order_and_discriminator_gradients(tmp_path, mode, order):
    _, data, recorder, trainer = _fit(tmp_path, mode)
    assert recorder.calls == order
    assert trainer.global_step == 1  # only the student's step counts
    batch = next(iter(data.train_dataloader()))  # the one batch: all 16 training frames
    for k, params, grads in recorder.snapshots:
        d = StageDiscriminator()
        with torch.no_grad():
            for p, value in zip(d.parameters(), params, strict=True):
                p.copy_(value)
        one, four, sixteen = teacher_maps(batch, k)
        out = d(sixteen, four, one)
        F.binary_cross_entropy(out, torch.ones_like(out)).backward()
        real_only = all(
            torch.allclose(g, p.grad, atol=1e-7) for g, p in zip(grads, d.parameters(), strict=True)
        )
        assert real_only == (mode == "official")  # standard: the fake term adds gradient


@pytest.mark.slow
def test_phase_one_then_hand_over(tmp_path):
    class Check(pl.Callback):
        def on_train_batch_start(self, trainer, module, batch, batch_idx) -> None:
            if trainer.current_epoch == 1:  # first distillation batch
                ae, student = module.autoencoder.state_dict(), module.student.state_dict()
                self.copied = [k for k in student if torch.equal(student[k], ae[k])]
                self.bias = float(module.student.high[2].bias.detach())

    check = Check()
    data = _data(tmp_path)
    model = VadDistill(ae_epochs=1, head_bias=0.25)
    trainer = pl.Trainer(
        max_epochs=2, limit_train_batches=1, limit_val_batches=0, logger=False,
        enable_checkpointing=False, enable_progress_bar=False, enable_model_summary=False,
        callbacks=[check], accelerator="cpu",
    )  # fmt: skip
    trainer.fit(model, datamodule=data)
    backbone = [
        k for k in model.student.state_dict() if k.split(".")[0] in ("conv_encoder", "transformer")
    ]
    assert set(backbone) <= set(check.copied)
    assert "out_image.weight" in check.copied and "small.3.weight" not in check.copied
    assert check.bias == 0.25  # the dead-head guard, re-applied after the hand-over
    assert trainer.global_step == 2


def test_phase_for_epoch():
    assert [phase_for_epoch(e, 2) for e in range(4)] == ["autoencoder"] * 2 + ["distill"] * 2
    assert phase_for_epoch(0, 0) == "distill"


def test_config_errors(tmp_path):
    with pytest.raises(ConfigError, match="teacher_weights"):
        VadDistill(teachers=("a", "b"), teacher_weights=(1.0,))
    with pytest.raises(ConfigError, match="adversarial_mode"):
        VadDistill(adversarial_mode="gan")
    with pytest.raises(ConfigError, match="preset_name"):
        VadDistill(preset_name="huge")


@pytest.mark.slow
def test_teachers_and_frame_size_must_match_the_data(tmp_path):
    trainer = pl.Trainer(max_epochs=1, logger=False, enable_progress_bar=False, accelerator="cpu")
    with pytest.raises(ConfigError, match=r"2 teachers.*the 3 teachers"):
        trainer.fit(
            VadDistill(teachers=("teacher1", "teacher2", "teacher3")), datamodule=_data(tmp_path)
        )
    with pytest.raises(ConfigError, match=r"select_on_test.*validate_on_test"):
        trainer.fit(VadDistill(select_on_test=True), datamodule=_data(tmp_path / "c"))
    with pytest.raises(ConfigError, match=r"data.image_size.*\(240, 360\)"):
        trainer.fit(VadDistill(preset_name="ped2"), datamodule=_data(tmp_path / "b"))


def test_pretrained_ae_in_the_official_checkpoint_format(tmp_path):
    """``latest_checkpoint_ae_classic_pretraining.pkl`` holds ``{"model_weights": ...}``."""
    source = VadDistill()
    path = tmp_path / "latest_checkpoint_ae_classic_pretraining.pkl"
    torch.save({"epoch": 35, "model_weights": source.autoencoder.state_dict()}, path)
    model = VadDistill(pretrained_ae=str(path))
    model.start_distillation()
    assert torch.equal(model.student.conv_encoder.down_sampling[1].weight,
                       source.autoencoder.conv_encoder.down_sampling[1].weight)  # fmt: skip
    assert model.handed_over


def _smoke(seed: int, *extra: str) -> ReproCLI:
    args = [
        "--config", str(PROJECT / "configs" / "smoke.yaml"), f"--seed_everything={seed}",
        "--model.init_args.ae_cache=true", "--trainer.limit_val_batches=0", *extra,
    ]  # fmt: skip
    return ReproCLI(PROJECT.name, "smoke", args=args)


@pytest.mark.slow
def test_phase_one_cache_is_shared_and_changes_nothing(tmp_path, monkeypatch):
    """A second run with the same phase-1 settings and seed loads the cached auto-encoder, skips
    its phase-1 epoch and ends with the same metrics; another seed gets its own file; an
    existing file is not rewritten."""
    monkeypatch.setenv("RUNS_ROOT", str(tmp_path / "runs"))
    first = _smoke(0)
    first_metrics = first.fit_and_test()["last"]
    cached = sorted((tmp_path / "runs" / "vad_distill" / "ae_cache").glob("*.pt"))
    assert len(cached) == 1 and not first.model.ae_cached
    written = cached[0].stat().st_mtime_ns
    stored = torch.load(cached[0], weights_only=True)
    assert stored["settings"]["seed"] == 0 and stored["settings"]["ae_epochs"] == 1

    second = _smoke(0, "--model.init_args.adversarial_mode=standard")  # a phase-2-only change
    second.fit_and_test()
    assert second.model.ae_cached and second.model.ae_cache_file == cached[0]
    assert second.trainer.global_step == first.trainer.global_step - 2  # phase-1 batches skipped
    assert cached[0].stat().st_mtime_ns == written

    again = _smoke(0)
    assert again.fit_and_test()["last"] == first_metrics  # loaded or trained: the same run
    assert again.model.ae_cached

    _smoke(1).fit_and_test()
    assert len(list((tmp_path / "runs" / "vad_distill" / "ae_cache").glob("*.pt"))) == 2
