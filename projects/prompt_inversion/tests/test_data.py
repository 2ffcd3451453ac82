"""The DataModule on the DiffusionDB fixture: items, splits, the missing-prompt rule, the
vocabulary size, and the curriculum's easy-first prefixes (real MiniLM targets)."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from prompt_inversion.data import Curriculum, DiffusionDBDataModule, square_transform
from prompt_inversion.target import encode
from prompt_inversion.testing import fixture_prompt, png, write_diffusiondb

from shared.data.errors import DatasetFormatError
from shared.data.loader import Loader
from shared.errors import ConfigError

pytestmark = pytest.mark.slow  # encodes the fixture's prompts with the real MiniLM


def module(root, **kwargs) -> DiffusionDBDataModule:
    settings = {"image_size": 16, "vocab_size": 4, "loader": Loader(batch_size=4)} | kwargs
    data = DiffusionDBDataModule(str(root), **settings)
    data.setup("fit")
    return data


def test_items_hold_image_target_label_and_index(diffusiondb):
    root, rows = diffusiondb
    data = module(root, split="official", test_parts=(2,))
    test = data.datasets["test"]
    assert [s.stem + ".png" for s in test.samples] == [r["image_name"] for r in rows[6:]]
    assert len(data.datasets["val"]) == 1 and len(data.datasets["train"]) == 5
    image, target, label, index = test[0]
    assert image.shape == (3, 16, 16) and 0 <= image.min() and image.max() <= 1
    np.testing.assert_allclose(target.numpy(), encode([rows[6]["prompt"]])[0], atol=1e-6)
    words = [w for w in data.vocabulary.words if label[data.vocabulary.index[w]] == 1]
    assert set(words) <= set(rows[6]["prompt"].replace(",", "").split()) and index == 0
    assert (root / "sentence_embeddings" / f"{test.samples[0].stem}.npy").is_file()


def test_a_missing_prompt_embeds_as_nan_or_is_refused(tmp_path):
    root = tmp_path / "db"
    write_diffusiondb(root, prompts={3: None})
    data = module(root, split="grouped", fractions=(1.0, 0.0, 0.0))
    train = data.datasets["train"]
    position = [s.prompt for s in train.samples].index(None)
    np.testing.assert_allclose(train.targets[position].numpy(), encode(["nan"])[0], atol=1e-6)
    with pytest.raises(DatasetFormatError, match=r"part-000001.zip:.*\.png: found no prompt"):
        module(tmp_path / "db", missing_prompt="error")


def test_the_grouped_split_keeps_copies_together(tmp_path):
    root = tmp_path / "db"
    write_diffusiondb(root, parts=2, per_part=6)  # 6 distinct prompts, 2 images each
    data = module(root, fractions=(0.5, 0.25, 0.25), split_seed=1)
    sides = [{s.prompt for s in data.datasets[k].samples} for k in ("train", "val", "test")]
    assert sum(len(data.datasets[k]) for k in ("train", "val", "test")) == 12
    assert not (sides[0] & sides[1] or sides[0] & sides[2] or sides[1] & sides[2])


def test_a_vocabulary_larger_than_the_prompts_allow(diffusiondb):
    root, _ = diffusiondb
    with pytest.raises(ConfigError, match=r"vocab_size"):
        module(root, vocab_size=50)


def test_the_transform_resizes_the_shorter_side_and_centre_crops():
    from PIL import Image

    image = Image.new("RGB", (40, 20), "white")
    image.paste((255, 0, 0), (0, 0, 4, 20))  # a red band on the far left: cropped away
    tensor = square_transform(10)(image)
    assert tensor.shape == (3, 10, 10) and torch.allclose(tensor, torch.ones_like(tensor))


def test_curriculum_prefixes_are_easy_first(diffusiondb, tmp_path):
    root, _ = diffusiondb
    plain = module(root, split="official", test_parts=(2,))
    stems = [s.stem for s in plain.datasets["train"].samples]
    cosines = np.array([[0.1, 0.1], [0.9, 0.8], [0.5, 0.5], [0.2, 0.9], [0.3, 0.0]])
    history = tmp_path / "cosine_history.npz"
    np.savez(history, cosines=cosines, stems=np.asarray(stems), epochs=np.array([0, 1]))
    curriculum = Curriculum(str(history), "clip", weights=(0.5, 0.5), start_stage=2)
    data = DiffusionDBDataModule(str(root), image_size=16, vocab_size=4, split="official",
                                 test_parts=(2,), curriculum=curriculum,
                                 loader=Loader(batch_size=2))  # fmt: skip
    data.trainer = SimpleNamespace(reload_dataloaders_every_n_epochs=1, current_epoch=0)
    data.setup("fit")
    assert data.order.tolist() == [1, 3, 2, 4, 0]  # scores 0.85, 0.55, 0.5, 0.15, 0.1
    assert sorted(data.train_dataloader().dataset.indices) == [1, 3]  # int(5 / 2)
    data.trainer.current_epoch = 1
    assert len(data.train_dataloader().dataset) == 5
    assert data.planned_steps(3) == 1 + 3 + 3  # batches of 2 over 2, 5, 5 samples
    data.trainer.reload_dataloaders_every_n_epochs = 0
    data.datasets = {}
    with pytest.raises(ConfigError, match=r"reload_dataloaders_every_n_epochs"):
        data.setup("fit")


def test_a_history_of_other_data_is_refused(diffusiondb, tmp_path):
    root, _ = diffusiondb
    history = tmp_path / "h.npz"
    np.savez(
        history, cosines=np.zeros((5, 5)), stems=np.asarray(list("abcde")), epochs=np.arange(5)
    )
    data = DiffusionDBDataModule(str(root), image_size=16, vocab_size=4, split="official",
                                 test_parts=(2,), curriculum=Curriculum(str(history)))  # fmt: skip
    with pytest.raises(DatasetFormatError, match=r"h.npz.*another training set"):
        data.setup("fit")


def test_the_official_csv_layout_with_official_embedding_names(tmp_path):
    root = tmp_path / "official"
    (root / "images_part1" / "images").mkdir(parents=True)
    rows = []
    for k in range(8):
        path = f"images_part1/images/img{k}.png"
        (root / path).write_bytes(png(fixture_prompt(k)))
        rows.append({"filepath": path, "prompt": fixture_prompt(k)})
    pd.DataFrame(rows).to_csv(root / "diffusiondb.csv", index=False)
    data = module(root, layout="official_csv", official_naming=True, fractions=(0.5, 0.25, 0.25))
    assert sum(len(d) for d in data.datasets.values()) == 8
    names = sorted(p.name for p in (root / "sentence_embeddings").iterdir())
    assert names == [f"img{k}npy.npy" for k in range(8)]
