"""One tiny fit on the DiffusionDB fixture (real MiniLM targets), shared by the tests of the
module, the cosine history, the curriculum retrain from scratch and ``predict``."""

from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from prompt_inversion import predict as predict_cli
from prompt_inversion.callbacks import HISTORY_FILE, CosineHistory
from prompt_inversion.data import Curriculum, DiffusionDBDataModule
from prompt_inversion.model import Backbone
from prompt_inversion.module import AdamW, PromptInversion
from prompt_inversion.testing import png, write_diffusiondb

from shared.data.loader import Loader
from shared.errors import ConfigError

pytestmark = pytest.mark.slow
TINY = Backbone("conv", {"widths": (8, 16)})


def fit(root: Path, out: Path, curriculum: Curriculum | None = None, objective: str = "joint"):
    pl.seed_everything(0)
    data = DiffusionDBDataModule(str(root), image_size=16, vocab_size=4, split="official",
                                 test_parts=(2,), preload=True, curriculum=curriculum,
                                 loader=Loader(batch_size=2))  # fmt: skip
    model = PromptInversion(TINY, num_classes=4, objective=objective, optimizer=AdamW)
    history = CosineHistory(epochs=[0, 1], path=str(out / HISTORY_FILE))
    trainer = pl.Trainer(max_epochs=2, default_root_dir=out, logger=False, enable_progress_bar=False,
                         enable_model_summary=False, callbacks=[history],
                         reload_dataloaders_every_n_epochs=1)  # fmt: skip
    trainer.fit(model, datamodule=data)
    return trainer, model, data


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    root = tmp_path_factory.mktemp("db")
    write_diffusiondb(root / "db")
    out = tmp_path_factory.mktemp("run")
    trainer, model, data = fit(root / "db", out)
    checkpoint = out / "model.ckpt"
    trainer.save_checkpoint(checkpoint)
    return root / "db", out, trainer, model, data, checkpoint


def test_the_history_has_one_column_per_recorded_epoch(fitted):
    _, out, _, model, data, _ = fitted
    record = np.load(out / HISTORY_FILE)
    assert record["cosines"].shape == (5, 2) and record["epochs"].tolist() == [0, 1]
    assert list(record["stems"]) == [s.stem for s in data.datasets["train"].samples]
    # the last column is the trained model's cosine on each training image, in order
    images = torch.stack([data.datasets["train"][i][0] for i in range(5)])
    cosines = torch.nn.functional.cosine_similarity(
        model.eval()(images)[0], data.datasets["train"].targets
    )
    np.testing.assert_allclose(record["cosines"][:, 1], cosines.detach().numpy(), atol=1e-5)


def test_the_curriculum_run_retrains_from_scratch_on_prefixes(fitted, tmp_path):
    root, out, _, _, _, _ = fitted
    seen: list[int] = []

    class Sizes(pl.Callback):
        def on_train_epoch_start(self, trainer, pl_module):
            seen.append(len(trainer.train_dataloader.dataset))

    curriculum = Curriculum(str(out / HISTORY_FILE), "clip", weights=(0.5, 0.5), start_stage=2)
    pl.seed_everything(0)
    data = DiffusionDBDataModule(str(root), image_size=16, vocab_size=4, split="official",
                                 test_parts=(2,), preload=True, curriculum=curriculum,
                                 loader=Loader(batch_size=2))  # fmt: skip
    model = PromptInversion(TINY, num_classes=4)
    fresh = {k: v.clone() for k, v in model.state_dict().items()}
    trainer = pl.Trainer(max_epochs=2, logger=False, enable_progress_bar=False, callbacks=[Sizes()],
                         enable_checkpointing=False, enable_model_summary=False,
                         reload_dataloaders_every_n_epochs=1)  # fmt: skip
    trainer.fit(model, datamodule=data)
    assert seen == [2, 5]  # int(5 / 2), then everything
    assert not torch.equal(
        fresh["net.classifier.weight"], model.state_dict()["net.classifier.weight"]
    )


def test_the_test_metrics_lie_in_range(fitted):
    _, _, trainer, model, data, _ = fitted
    metrics = trainer.test(model, datamodule=data, verbose=False)[0]
    assert -1 <= metrics["test/cosine"] <= 1
    mean = data.train_mean_target
    expected = torch.nn.functional.cosine_similarity(mean.expand_as(data.datasets["test"].targets),
                                                     data.datasets["test"].targets).mean()  # fmt: skip
    assert metrics["test/mean_embedding_cosine"] == pytest.approx(float(expected), abs=1e-6)


def test_the_loss_is_the_joint_objective(fitted):
    _, _, _, model, data, _ = fitted
    batch = next(iter(data.val_dataloader()))
    terms = model.losses(batch)
    terms = {k: float(v) for k, v in terms.items()}
    assert terms["loss"] == pytest.approx(terms["cosine"] + terms["huber"] + 0.1 * terms["bce"])


def test_a_vocabulary_of_another_size_is_refused(fitted):
    root = fitted[0]
    data = DiffusionDBDataModule(
        str(root), image_size=16, vocab_size=3, split="official", test_parts=(2,)
    )
    model = PromptInversion(TINY, num_classes=4)
    trainer = pl.Trainer(
        max_epochs=1, logger=False, enable_progress_bar=False, enable_checkpointing=False
    )
    with pytest.raises(ConfigError, match=r"num_classes.*3, the vocabulary size"):
        trainer.fit(model, datamodule=data)


def test_predict_prints_words_and_nearest_prompts(fitted, tmp_path, capsys):
    _, _, _, _, data, checkpoint = fitted
    image = tmp_path / "query.png"
    image.write_bytes(png("a red circle"))
    assert predict_cli.main([str(checkpoint), str(image), "--top", "3", "--nearest", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("top words: ") and lines[0].count("(") == 3
    train_prompts = {s.prompt for s in data.datasets["train"].samples}
    assert all(line.split("  ", 2)[2] in train_prompts for line in lines[1:3])
    embedding = np.load(image.with_suffix(".npy"))
    assert embedding.shape == (384,) and abs(np.linalg.norm(embedding) - 1) < 1e-5
    model = predict_cli.load_model(checkpoint)
    expected = predict_cli.predict(model, image, nearest=0).embedding
    np.testing.assert_allclose(embedding, expected, atol=1e-6)


def test_predict_refuses_unreadable_images_and_foreign_checkpoints(fitted, tmp_path, capsys):
    checkpoint = fitted[5]
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    assert predict_cli.main([str(checkpoint), str(broken)]) == 2
    assert "broken.png" in capsys.readouterr().err
    state = torch.load(checkpoint, weights_only=False)
    state["vocabulary"] = ["a", "b"]
    other = tmp_path / "other.ckpt"
    torch.save(state, other)
    assert predict_cli.main([str(other), str(broken)]) == 2
    assert "vocabulary of 4 words" in capsys.readouterr().err


def test_predict_keeps_the_weights_source_only_of_backbones_rebuilt_from_it(
    fitted, tmp_path, monkeypatch
):
    """clip_mlp's and the U-Net's builders read their architecture from ``pretrained``; timm's
    models are rebuilt without it (the checkpoint holds every weight)."""
    seen = {}

    class Stop(Exception):
        pass

    class Capture(predict_cli.PromptInversion):
        def __init__(self, backbone, **kwargs):
            seen[backbone.name] = dict(backbone.args)
            raise Stop

    state = torch.load(fitted[5], weights_only=False)
    monkeypatch.setattr(predict_cli, "PromptInversion", Capture)
    for name in ("clip_mlp", "unet", "vit"):
        state["hyper_parameters"]["backbone"] = {"name": name, "args": {"pretrained": "w"}}
        torch.save(state, tmp_path / f"{name}.ckpt")
        with pytest.raises(Stop):
            predict_cli.load_model(tmp_path / f"{name}.ckpt")
    assert seen == {"clip_mlp": {"pretrained": "w"}, "unet": {"pretrained": "w"}, "vit": {}}
