"""Saliency data: per-sample alignment, the on-disk cache and its refusal of stale files."""

import numpy as np
import pytest
import torch
from cbm.bench import official_saliency_loop
from cbm.data import SaliencyCacheMismatch, SaliencyDataModule
from cbm.saliency import sobel_patch_saliency

from shared.data.cifar import CIFARDataModule
from shared.data.digits import DigitsDataModule
from shared.data.loader import Loader
from shared.errors import ConfigError
from shared.testing.cifar_fixture import write_cifar_fixture


def digits(sampler_seed: int | None = None, **kwargs) -> DigitsDataModule:
    loader = Loader(batch_size=16, sampler_seed=sampler_seed)
    return DigitsDataModule(image_size=16, loader=loader, train_per_class=3, **kwargs)


def test_batches_carry_the_probabilities_of_their_own_images(tmp_path):
    data = SaliencyDataModule(digits(), patches=4, cache_dir=str(tmp_path))
    data.setup("fit")
    images, labels, probs = next(iter(data.train_dataloader()))
    assert images.shape == (16, 3, 16, 16) and labels.shape == (16,) and probs.shape == (16, 16)
    # The images are normalised; Sobel probabilities do not depend on scale or offset.
    torch.testing.assert_close(probs, sobel_patch_saliency(images, 4), rtol=1e-5, atol=1e-7)


def test_shuffling_is_the_wrapped_modules_own():
    plain = digits(sampler_seed=3)
    plain.setup("fit")
    wrapped = SaliencyDataModule(digits(sampler_seed=3), cache=False)
    wrapped.setup("fit")
    a, b = next(iter(plain.train_dataloader())), next(iter(wrapped.train_dataloader()))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def test_cache_is_written_once_and_reused(tmp_path):
    first = SaliencyDataModule(digits(), cache_dir=str(tmp_path))
    first.setup("fit")
    path = first.cache_path()
    assert path == tmp_path / "digitsdatamodule-n4-16px.pt" and path.is_file()
    stored = torch.load(path, weights_only=True)
    stored["probs"] = stored["probs"] * 0 + 0.0625  # mark it: a reuse returns these values
    torch.save(stored, path)
    second = SaliencyDataModule(digits(), cache_dir=str(tmp_path))
    second.setup("fit")
    assert torch.all(second.probs == 0.0625)


def test_default_cache_lives_under_the_data_root(tmp_path):
    data = SaliencyDataModule(digits())
    assert data.cache_path() == tmp_path / "data" / "cache" / "cbm" / "digitsdatamodule-n4-16px.pt"


def test_cache_made_for_other_data_is_refused(tmp_path):
    SaliencyDataModule(digits(split_seed=0), cache_dir=str(tmp_path)).setup("fit")
    other = SaliencyDataModule(digits(split_seed=1), cache_dir=str(tmp_path))
    with pytest.raises(SaliencyCacheMismatch, match=r"fingerprint=.*refresh_cache"):
        other.setup("fit")


def test_cache_with_other_settings_is_refused(tmp_path):
    data = SaliencyDataModule(digits(), cache_dir=str(tmp_path))
    data.setup("fit")
    stored = torch.load(data.cache_path(), weights_only=True)
    stored["patches"] = 2
    torch.save(stored, data.cache_path())
    with pytest.raises(SaliencyCacheMismatch, match="patches=2"):
        SaliencyDataModule(digits(), cache_dir=str(tmp_path)).setup("fit")


def test_refresh_rewrites_a_stale_cache(tmp_path):
    SaliencyDataModule(digits(split_seed=0), cache_dir=str(tmp_path)).setup("fit")
    fresh = SaliencyDataModule(digits(split_seed=1), cache_dir=str(tmp_path), refresh_cache=True)
    fresh.setup("fit")
    SaliencyDataModule(digits(split_seed=1), cache_dir=str(tmp_path)).setup("fit")  # now matches


def test_unreadable_cache_is_refused(tmp_path):
    data = SaliencyDataModule(digits(), cache_dir=str(tmp_path))
    data.cache_path().parent.mkdir(parents=True, exist_ok=True)
    data.cache_path().write_text("not a tensor file")
    with pytest.raises(SaliencyCacheMismatch, match="unreadable"):
        data.setup("fit")


def test_grid_that_does_not_divide_the_probability_resolution_is_refused():
    with pytest.raises(ConfigError, match=r"data\.patches"):
        SaliencyDataModule(digits(), patches=5, cache=False).setup("fit")


def test_geometric_augmentation_with_cached_probabilities_is_refused(tmp_path):
    write_cifar_fixture(tmp_path, "cifar10", per_file=4)
    cifar = CIFARDataModule(data_root=str(tmp_path), crop_padding=4, val_fraction=0)
    with pytest.raises(ConfigError, match="sobel_online"):
        SaliencyDataModule(cifar)


def test_cifar_probabilities_at_64_px_equal_the_official_loop(tmp_path):
    # The official code: PIL Resize(64) of the 32 px image, then cv2.Sobel per image.
    pytest.importorskip("cv2")
    write_cifar_fixture(tmp_path, "cifar10", per_file=4)
    data = SaliencyDataModule(
        CIFARDataModule(data_root=str(tmp_path), val_fraction=0), prob_size=64, cache=False
    )
    data.setup("fit")
    raw = data.data.datasets["train"].images.permute(0, 2, 3, 1).contiguous().numpy()
    assert data.probs.shape == (20, 16)
    np.testing.assert_allclose(data.probs.numpy(), official_saliency_loop(raw, 64), rtol=1e-6)
