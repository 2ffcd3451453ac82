"""The kernel step (intended and official-compat), the weighted ensemble (spec §13) and the\nensemble command over saved predictions."""

from pathlib import Path

import numpy as np
import pytest
import yaml
from prompt_inversion.ensemble import (
    OFFICIAL_WEIGHTS,
    KernelStep,
    combine,
    main,
    weighted_ensemble,
)
from prompt_inversion.kernel import kernel_ridge_predictions, kernel_similarity
from prompt_inversion.predictions import read_predictions

from shared.data.errors import DatasetFormatError
from shared.errors import ConfigError

CONFIGS = Path(__file__).resolve().parents[1] / "configs"

A = np.array([[1.0, 0.0]])
B = np.array([[0.5, np.sqrt(0.75)]])  # cosine 0.5 with A


def test_the_intended_kernel_is_one_exponential():
    assert kernel_similarity(A, B)[0, 0] == pytest.approx(np.exp(-0.005 * 0.5), abs=1e-10)
    assert kernel_similarity(A, B)[0, 0] == pytest.approx(0.9975031224, abs=1e-10)
    assert kernel_similarity(B, 3 * B)[0, 0] == pytest.approx(1.0)


def test_the_official_repeated_kernel_degenerates():
    assert kernel_similarity(A, B, official_repeats=2)[0, 0] == pytest.approx(
        0.9999875157, abs=1e-10
    )
    assert kernel_similarity(A, -A, official_repeats=8)[0, 0] > 0.99999


def test_kernel_ridge_predictions_shape_and_fit():
    rng = np.random.default_rng(0)
    train = rng.normal(size=(40, 8))
    targets = train / np.linalg.norm(train, axis=1, keepdims=True)
    out = kernel_ridge_predictions(train, targets, train[:5], clusters=10, alpha=1e-3, gamma=10.0)
    assert out.shape == (5, 8) and np.isfinite(out).all()


def test_the_ensemble_normalises_each_model_first():
    predictions = {"swin_images": np.array([[2.0, 0.0]]), "knn": np.array([[0.0, 10.0]])}
    out = weighted_ensemble(predictions, OFFICIAL_WEIGHTS)  # weights 1.0 and 0.6
    np.testing.assert_allclose(out, [[1.0 / 1.6, 0.6 / 1.6]])
    assert OFFICIAL_WEIGHTS == {
        "clip_mlp_images": 1.5, "clip_mlp_images_2": 1.2, "vit_gpt2": 0.4, "unet": 0.4,
        "vit_images": 0.2, "swin_images": 1.0, "knn": 0.6,
    }  # fmt: skip
    with pytest.raises(KeyError, match=r"other"):
        weighted_ensemble({"other": np.ones((1, 2))}, OFFICIAL_WEIGHTS)


def write_predictions(path, test_embeddings, train_embeddings=None, test_stems=("a", "b")):
    """A predictions.npz as SavePredictions writes it; targets of both test images are [1, 0]."""
    train = np.eye(2)[[0, 1, 0, 1, 0, 1]] if train_embeddings is None else train_embeddings
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, test_embeddings=np.asarray(test_embeddings, dtype=float),
             test_targets=np.array([[1.0, 0.0], [1.0, 0.0]]), test_stems=np.asarray(test_stems),
             train_embeddings=train, train_targets=np.eye(2)[[0, 1, 0, 1, 0, 1]],
             train_stems=np.asarray([f"t{i}" for i in range(6)]))  # fmt: skip
    return path


@pytest.fixture
def two_members(tmp_path):
    vit = write_predictions(tmp_path / "vit.npz", [[1.0, 0.0], [0.0, 1.0]])  # cosines 1, 0
    unet = write_predictions(tmp_path / "unet.npz", [[0.0, 2.0], [3.0, 0.0]])  # cosines 0, 1
    return {"vit_images": vit, "unet": unet}


def test_combine_scores_each_member_and_the_weighted_ensemble_by_hand(two_members):
    result = combine(two_members)  # official weights: vit_images 0.2, unet 0.4
    assert result.cosines["vit_images"] == pytest.approx(0.5)
    assert result.cosines["unet"] == pytest.approx(0.5)
    # rows [0.2, 0.4] / 0.6 and [0.4, 0.2] / 0.6: cosines 1/sqrt(5) and 2/sqrt(5) with [1, 0]
    assert result.cosines["ensemble"] == pytest.approx(3 / (2 * np.sqrt(5)))
    np.testing.assert_allclose(result.embeddings, [[1 / 3, 2 / 3], [2 / 3, 1 / 3]])
    assert list(result.stems) == ["a", "b"]
    equal = combine(two_members, weights={"vit_images": 1.0, "unet": 1.0})
    assert equal.cosines["ensemble"] == pytest.approx(2**-0.5)  # rows [0.5, 0.5] both


def test_the_kernel_step_adds_its_member(two_members):
    result = combine(two_members, kernel=KernelStep(clusters=2, gamma=10.0, alpha=1e-3))
    assert list(result.cosines)[-1] == "ensemble + kernel step"
    assert -1.0 <= result.cosines["ensemble + kernel step"] <= 1.0
    with pytest.raises(ConfigError, match=r"kernel\.clusters.*6 training images"):
        combine(two_members, kernel=KernelStep(clusters=7))


def test_combine_refuses_members_it_cannot_align_or_weigh(two_members, tmp_path):
    with pytest.raises(ConfigError, match=r"weights.*none for \['swin'\]"):
        combine({**two_members, "swin": two_members["unet"]})
    with pytest.raises(ConfigError, match=r"members"):
        combine({})
    other = write_predictions(tmp_path / "other.npz", [[1.0, 0.0]] * 2, test_stems=("a", "c"))
    with pytest.raises(DatasetFormatError, match=r"other\.npz.*other test images"):
        combine({**two_members, "swin_images": other})


def test_read_predictions_names_the_file_and_what_is_wrong(tmp_path):
    with pytest.raises(DatasetFormatError, match=r"missing\.npz.*no such file"):
        read_predictions(tmp_path / "missing.npz")
    np.savez(tmp_path / "partial.npz", test_embeddings=np.ones((2, 2)))
    with pytest.raises(DatasetFormatError, match=r"partial\.npz.*train_embeddings"):
        read_predictions(tmp_path / "partial.npz")
    short = write_predictions(tmp_path / "short.npz", [[1.0, 0.0]] * 3)
    with pytest.raises(DatasetFormatError, match=r"short\.npz.*test arrays of lengths \[2, 3\]"):
        read_predictions(short)


def test_the_ensemble_command_reads_the_paper_config_from_the_runs_root(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setenv("RUNS_ROOT", str(tmp_path / "runs"))
    config = CONFIGS / "ensemble" / "paper.yaml"
    for member in yaml.safe_load(config.read_text())["members"].values():
        write_predictions(tmp_path / "runs" / "prompt_inversion" / member, [[1.0, 0.0]] * 2)
    out = tmp_path / "ensemble.npz"
    assert main(["--config", str(config), "--out", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert [line.split("  ", 1)[1] for line in printed[:5]] == [
        "clip_mlp_images", "swin_images", "unet", "vit_images", "ensemble"
    ]  # fmt: skip
    assert printed[4].startswith("1.0000")
    assert np.load(out)["test_embeddings"].shape == (2, 2)
    assert main(["--config", str(config), "--out", str(out)]) == 2
    assert "a new file (or --overwrite true)" in capsys.readouterr().err
    kernel = yaml.safe_load((CONFIGS / "ensemble" / "paper_kernel.yaml").read_text())["kernel"]
    assert kernel == {"clusters": 10000, "gamma": 0.01, "alpha": 10.0, "weight": 0.3,
                      "official_repeats": 1}  # fmt: skip
    assert main(["--config", str(CONFIGS / "ensemble" / "paper_kernel.yaml")]) == 2
    assert "kernel.clusters" in capsys.readouterr().err  # 10,000 centres of 6 training images
