"""The Lightning loop: the ratio per epoch, no masking outside training, smoke training
(acceptance checks 9 and 10), the occlusion metric and bad wiring."""

import csv
import math
from functools import partial

import pytest
import pytorch_lightning as pl
import torch
from cbm.callbacks import MaskingCurriculum
from cbm.data import SaliencyDataModule
from cbm.module import CBMClassifier
from cbm.saliency import sobel_patch_saliency
from cbm.schedules import CYCLE_40, linear_repeat
from pytorch_lightning.loggers import CSVLogger

from shared.data.digits import DigitsDataModule
from shared.data.loader import Loader
from shared.errors import ConfigError
from shared.optim import MultiStepLR


def trainer(tmp_path, epochs: int, callbacks: list) -> pl.Trainer:
    return pl.Trainer(
        max_epochs=epochs,
        callbacks=callbacks,
        logger=CSVLogger(tmp_path, name="log"),
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        accelerator="cpu",
        num_sanity_val_steps=0,
    )


def small_data(per_class: int = 2) -> SaliencyDataModule:
    return SaliencyDataModule(
        DigitsDataModule(loader=Loader(batch_size=32), train_per_class=per_class), cache=False
    )


class MaskingSpy(pl.Callback):
    """Records, for every MaskIn call, the trainer stage, MaskIn's mode and whether it masked."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, bool, bool]] = []

    def on_fit_start(self, trainer, pl_module):
        def hook(module, inputs, output):
            self.calls.append((trainer.state.stage.value, module.training, output is not inputs[0]))

        pl_module.masking.register_forward_hook(hook)


def test_ratio_follows_the_schedule_and_masking_happens_only_in_training(tmp_path):
    torch.manual_seed(0)
    model = CBMClassifier(lr_scheduler=partial(MultiStepLR, milestones=[6]))
    spy = MaskingSpy()
    fit = trainer(tmp_path, 7, [MaskingCurriculum("linear_repeat", *CYCLE_40), spy])
    fit.fit(model, datamodule=small_data())
    fit.test(model, datamodule=small_data())
    with open(fit.logger.log_dir + "/metrics.csv") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("train/mask_ratio")]
    logged = {
        int(r["epoch"]): (float(r["train/mask_ratio"]), float(r["train/masked_patches"]))
        for r in rows
    }
    expected = linear_repeat(*CYCLE_40, 7)
    assert sorted(logged) == list(range(7))
    for epoch, (ratio, count) in logged.items():
        assert ratio == pytest.approx(expected[epoch], rel=1e-6)
        assert count == [1, 2, 3, 4, 6][epoch % 5]
    assert {stage for stage, _, _ in spy.calls} == {"train"}  # never called in validate/test
    assert all(training and masked for _, training, masked in spy.calls)


def test_validation_sees_clean_images_even_at_ratio_one():
    model = CBMClassifier().eval()
    model.mask_ratio = 1.0
    images = torch.randn(4, 3, 16, 16)
    assert torch.equal(model(images), model.backbone(images))
    assert torch.equal(model.masking(images, 1.0), images)  # eval mode: identity


@pytest.mark.slow
def test_smoke_one_epoch_of_cbm_on_256_digits_has_a_finite_loss(tmp_path):
    torch.manual_seed(0)
    data = SaliencyDataModule(DigitsDataModule(loader=Loader(batch_size=64)), cache=False)
    data.setup("fit")
    data.data.datasets["train"] = torch.utils.data.Subset(data.data.datasets["train"], range(256))
    data.probs = data.probs[:256]
    model = CBMClassifier()
    fit = trainer(tmp_path, 1, [MaskingCurriculum(ratios=[0.4036])])
    fit.fit(model, datamodule=data)
    loss = fit.callback_metrics["train/loss"]
    assert math.isfinite(loss.item())
    assert fit.callback_metrics["train/masked_patches"].item() == 6


@pytest.mark.parametrize("patches", [2, 4, 8])
def test_occlusion_is_the_same_for_every_test_pass_and_model(patches):
    # 4 of the 16 patches of a 4x4 grid, whatever the masking grid of the model.
    images, labels = torch.randn(8, 3, 16, 16), torch.arange(8) % 10
    seen = []
    for _ in range(2):
        model = CBMClassifier(patches=patches, occlusion_patches=4, occlusion_seed=5).eval()
        model.forward = lambda x, store=seen: store.append(x) or torch.zeros(len(x), 10)
        model.on_test_epoch_start()
        model.test_step((images, labels), 0)
    clean_a, occluded_a, _, occluded_b = seen
    assert torch.equal(occluded_a, occluded_b) and torch.equal(clean_a, images)
    hidden = (occluded_a == 0).reshape(8, 3, 4, 4, 4, 4).all(dim=(1, 3, 5))
    assert torch.equal(hidden.sum(dim=(1, 2)), torch.full((8,), 4))


def test_sobel_source_without_probabilities_in_the_batch_is_a_clear_error():
    model = CBMClassifier(probs_source="sobel").train()
    with pytest.raises(ConfigError, match="SaliencyDataModule"):
        model.patch_probabilities((torch.randn(2, 3, 16, 16), torch.zeros(2, dtype=torch.long)))


def test_online_source_computes_the_probabilities_of_the_batch():
    model = CBMClassifier(probs_source="sobel_online")
    images = torch.zeros(1, 3, 16, 16)
    images[..., 4:8, 8:12] = 1.0
    probs = model.patch_probabilities((images, torch.zeros(1, dtype=torch.long)))
    assert probs[0, 6] == pytest.approx(0.43752766, rel=1e-6)
    assert CBMClassifier(probs_source="uniform").patch_probabilities((images,)) is None


def test_model_and_data_grids_must_agree(tmp_path):
    model = CBMClassifier(patches=2)
    fit = trainer(tmp_path, 1, [MaskingCurriculum("baseline")])
    with pytest.raises(ConfigError, match=r"model\.patches"):
        fit.fit(model, datamodule=small_data())


def test_schedule_length_must_equal_the_number_of_epochs(tmp_path):
    fit = trainer(tmp_path, 3, [MaskingCurriculum(ratios=[0.1, 0.2])])
    with pytest.raises(ConfigError, match=r"one ratio per epoch, i\.e\. 3"):
        fit.fit(CBMClassifier(), datamodule=small_data())


def test_augmented_data_trains_with_probabilities_from_each_augmented_batch(tmp_path):
    from shared.data.cifar import CIFARDataModule
    from shared.testing.cifar_fixture import write_cifar_fixture

    write_cifar_fixture(tmp_path / "data", "cifar10", per_file=4)
    data = CIFARDataModule(
        data_root=str(tmp_path / "data"),
        crop_padding=4,
        loader=Loader(batch_size=8),
        val_fraction=0,
    )
    model = CBMClassifier(probs_source="sobel_online")
    seen = []
    model.masking.register_forward_pre_hook(
        lambda module, args: seen.append((args[0].clone(), args[2]))
    )
    fit = trainer(tmp_path, 1, [MaskingCurriculum(ratios=[0.4036])])
    fit.fit(model, datamodule=data)
    images, probs = seen[0]
    torch.testing.assert_close(probs, sobel_patch_saliency(images, 4))  # the pixels it masks
