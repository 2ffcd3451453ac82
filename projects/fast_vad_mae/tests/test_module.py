"""Stage switch, seeded scoring and the training mechanism on ShapesVAD."""

from functools import partial

import numpy as np
import pytest
import torch
from fast_vad_mae.callbacks import stage_for_epoch
from fast_vad_mae.data import ClipDataset
from fast_vad_mae.module import FastVadMAE, OfficialAdamW
from fast_vad_mae.shapes_data import ShapesVADDataModule

from shared.data.loader import Loader
from shared.errors import ConfigError


def _batch(size: int = 4) -> dict[str, torch.Tensor]:
    data = ShapesVADDataModule(frames=20, train_videos=1, test_videos=1)
    data.setup()
    items = [ClipDataset(data.splits["train"])[i] for i in range(size)]
    return {k: torch.stack([item[k] for item in items]) for k in items[0]}


def test_stage_schedule():
    assert [stage_for_epoch(e, 2) for e in range(4)] == ["teacher", "teacher", "student", "student"]


def test_student_stage_step_leaves_everything_else_bit_identical():
    torch.manual_seed(0)
    module = FastVadMAE(optimizer=partial(OfficialAdamW, lr=1e-2))
    optimizer = module.configure_optimizers()["optimizer"]
    module.start_student_stage()
    before = {n: p.detach().clone() for n, p in module.model.named_parameters()}
    loss = module._loss(_batch())["loss"]
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    changed = {n for n, p in module.model.named_parameters() if not torch.equal(p, before[n])}
    assert changed and all(n.startswith("decoder_student") for n in changed)
    assert all(n in changed for n in module.model.student_parameter_names() if "norm" not in n)


@pytest.mark.parametrize(("mode", "updates"), [("train", True), ("eval", False)])
def test_frozen_batchnorm_statistics(mode, updates):
    module = FastVadMAE(frozen_norm_mode=mode)
    module.train()
    module.start_student_stage()
    module.on_train_batch_start(None, 0)
    stats = module.model.blocks[0].attn.conv_proj_q.bn.running_mean.clone()
    module._loss(_batch())
    assert (
        not torch.equal(stats, module.model.blocks[0].attn.conv_proj_q.bn.running_mean)
    ) == updates


def test_test_time_masking_is_seeded():
    torch.manual_seed(0)
    batch = _batch()
    module = FastVadMAE(compute_regions=False).eval()
    first, second = module.score_batch(batch, 0), module.score_batch(batch, 0)
    assert torch.equal(first["e_l2"], second["e_l2"]) and torch.equal(first["d_l2"], second["d_l2"])
    module.hparams.test_seed = 1
    assert not torch.equal(first["e_l2"], module.score_batch(batch, 0)["e_l2"])


def test_only_the_pixel_maps_a_scorer_reads_are_kept():
    """A paper config (paper scorer, no region metrics) keeps one T x H x W map, not two."""
    paper = FastVadMAE(scorer_name="paper_avenue", compute_regions=False)
    assert paper.map_keys == {"map"}
    assert set(paper.eval().score_batch(_batch(), 0)) == {"e_l1", "e_l2", "d_l1", "d_l2", "map"}
    frame_only = FastVadMAE(scorer_name="code_shanghai", compute_regions=False)
    assert frame_only.map_keys == set()
    regions = FastVadMAE(scorer_name="demo", extra_scorers=["demo_teacher_only"])
    assert regions.map_keys == {"map", "map_teacher"}


def test_bad_model_settings_are_clear_errors():
    with pytest.raises(ConfigError, match="mask_ratio"):
        FastVadMAE(mask_ratio=0.3)
    with pytest.raises(ConfigError, match="scorer"):
        FastVadMAE(scorer_name="nope")
    with pytest.raises(ConfigError, match="sd_loss_weighting"):
        FastVadMAE(sd_loss_weighting="mean")


@pytest.mark.slow
def test_training_lowers_held_out_loss_and_flags_a_pasted_object():
    import pytorch_lightning as pl

    pl.seed_everything(0)
    data = ShapesVADDataModule(
        frames=60, train_videos=2, test_videos=1, loader=Loader(batch_size=16)
    )
    module = FastVadMAE(optimizer=partial(OfficialAdamW, lr=1e-3), compute_regions=False)
    data.setup()
    val = data.val_dataloader()
    batches = list(val)

    def held_out() -> float:
        module.eval()
        with torch.no_grad():
            return float(
                np.mean(
                    [
                        module._loss(b, torch.Generator().manual_seed(i))["teacher"]
                        for i, b in enumerate(batches)
                    ]
                )
            )

    start = held_out()
    module.train()
    trainer = pl.Trainer(
        max_epochs=6,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
    )
    trainer.fit(module, datamodule=data)
    assert held_out() < 0.7 * start

    clip = data.splits["val"][0]
    frames = clip.frames.copy()
    frames[20:40, 8:28, 20:40] = 255  # an obvious bright block in frames 20..39
    clip.frames = frames
    loader = torch.utils.data.DataLoader(ClipDataset([clip]), batch_size=60)
    module.eval()
    scores = module.score_batch(next(iter(loader)), 0)["e_l2"].numpy()
    inside, outside = scores[20:40], np.concatenate((scores[:17], scores[43:]))
    assert inside.min() > outside.max()


def test_classification_head_and_motion_distillation_terms():
    torch.manual_seed(0)
    batch = _batch()
    batch["augmented"] = torch.tensor([1.0, 0.0, 0.0, 1.0])
    module = FastVadMAE(cls_head=True, cls_loss_weight=0.5)
    terms = module._loss(batch)
    assert terms["loss"].item() == pytest.approx((terms["teacher"] + 0.5 * terms["cls"]).item())
    module = FastVadMAE(sd_loss_weighting="motion")
    module.start_student_stage()
    terms = module._loss(batch)
    assert set(terms) == {"loss", "distill"} and terms["distill"].item() > 0


def test_select_on_test_scores_the_test_set_each_epoch():
    import pytorch_lightning as pl

    pl.seed_everything(0)
    data = ShapesVADDataModule(
        frames=30, train_videos=1, test_videos=1, loader=Loader(batch_size=16)
    )
    module = FastVadMAE(select_on_test=True, compute_regions=False)
    assert FastVadMAE().monitor is None and module.monitor == "val/micro_auc"
    trainer = pl.Trainer(
        max_epochs=1,
        limit_train_batches=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        num_sanity_val_steps=0,
    )
    trainer.fit(module, datamodule=data)
    assert 0.0 <= float(trainer.callback_metrics["val/micro_auc"]) <= 1.0
