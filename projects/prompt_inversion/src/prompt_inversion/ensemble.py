"""The weighted ensemble of several models' predicted embeddings (``ensemble_experiments/``),
and ``python -m prompt_inversion.ensemble``, which combines the ``predictions.npz`` files that
:class:`prompt_inversion.predictions.SavePredictions` wrote (optionally with the kernel step)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from prompt_inversion.kernel import kernel_ridge_predictions, unit
from prompt_inversion.predictions import SPLITS, read_predictions
from shared.data.errors import DatasetFormatError
from shared.errors import ConfigError
from shared.paths import runs_root

OFFICIAL_WEIGHTS = {
    "clip_mlp_images": 1.5,
    "clip_mlp_images_2": 1.2,
    "vit_gpt2": 0.4,
    "unet": 0.4,
    "vit_images": 0.2,
    "swin_images": 1.0,
    "knn": 0.6,
}
"""The official weights, by the names of the official feature files."""


def weighted_ensemble(
    predictions: Mapping[str, np.ndarray], weights: Mapping[str, float]
) -> np.ndarray:
    """``sum_m w_m unit(pred_m) / sum_m w_m``: each model's predictions are L2-normalised first;
    the mean is not re-normalised (the cosine metric is scale-free)."""
    missing = sorted(set(predictions) - set(weights))
    if missing:
        raise KeyError(f"no weight for {missing}; weights are given for {sorted(weights)}")
    total = sum(weights[name] for name in predictions)
    return sum(weights[name] * unit(np.asarray(p)) for name, p in predictions.items()) / total


@dataclass(frozen=True)
class KernelStep:
    """The v1 kernel step (:func:`prompt_inversion.kernel.kernel_ridge_predictions`) on the
    ensemble's predictions, added to the ensemble as the member ``krr`` with ``weight``
    (0.3 in the official ``parameter_serch.py``)."""

    clusters: int = 10_000
    gamma: float = 0.01
    alpha: float = 10.0
    weight: float = 0.3
    official_repeats: int = 1
    seed: int = 0


@dataclass(frozen=True)
class EnsembleResult:
    cosines: dict[str, float]
    """Mean test cosine of every member, of ``ensemble`` and (with the kernel step) of
    ``ensemble + kernel step``."""
    embeddings: np.ndarray
    stems: np.ndarray


def resolve_predictions(path: str | Path) -> Path:
    """A predictions file; a relative path is read from ``<runs root>/prompt_inversion/``
    unless it exists as given."""
    path = Path(path).expanduser()
    if path.is_absolute() or path.exists():
        return path
    return runs_root() / "prompt_inversion" / path


def mean_cosine(predictions: np.ndarray, targets: np.ndarray) -> float:
    return float(np.mean(np.sum(unit(predictions) * unit(targets), axis=1)))


def combine(
    members: Mapping[str, str | Path],
    weights: Mapping[str, float] | None = None,
    kernel: KernelStep | None = None,
) -> EnsembleResult:
    """The weighted ensemble of the members' saved predictions (same test images in the same
    order), scored on the test targets; with ``kernel``, the kernel step's ``krr`` member too."""
    if not members:
        raise ConfigError("members", {}, "at least one model name -> predictions.npz")
    weights = dict(OFFICIAL_WEIGHTS if weights is None else weights)
    if unknown := sorted(set(members) - set(weights)):
        raise ConfigError(
            "weights", sorted(weights), f"a weight for every member (none for {unknown})"
        )
    paths = {name: resolve_predictions(p) for name, p in members.items()}
    stored = {name: read_predictions(path) for name, path in paths.items()}
    reference = next(iter(members))
    first = stored[reference]
    for name, arrays in stored.items():
        for split in SPLITS:
            if not np.array_equal(arrays[f"{split}_stems"], first[f"{split}_stems"]):
                raise DatasetFormatError(
                    paths[name], f"other {split} images than {paths[reference]}",
                    "the predictions of every member on the same images, in the same order",
                )  # fmt: skip
    targets = first["test_targets"]
    test = {name: arrays["test_embeddings"] for name, arrays in stored.items()}
    cosines = {name: mean_cosine(embeddings, targets) for name, embeddings in test.items()}
    combined = weighted_ensemble(test, weights)
    cosines["ensemble"] = mean_cosine(combined, targets)
    if kernel is not None:
        if not 1 <= kernel.clusters <= len(first["train_stems"]):
            raise ConfigError(
                "kernel.clusters", kernel.clusters,
                f"between 1 and the {len(first['train_stems'])} training images",
            )  # fmt: skip
        train = weighted_ensemble({n: a["train_embeddings"] for n, a in stored.items()}, weights)
        krr = kernel_ridge_predictions(
            train, first["train_targets"], combined, kernel.clusters, kernel.gamma, kernel.alpha,
            kernel.seed, kernel.official_repeats,
        )  # fmt: skip
        combined = weighted_ensemble({**test, "krr": krr}, {**weights, "krr": kernel.weight})
        cosines["ensemble + kernel step"] = mean_cosine(combined, targets)
    return EnsembleResult(cosines, combined, first["test_stems"])


def main(argv: list[str] | None = None) -> int:
    """``python -m prompt_inversion.ensemble --config configs/ensemble/<file>.yaml``."""
    from jsonargparse import ActionConfigFile, ArgumentParser

    parser = ArgumentParser(description="The weighted ensemble of saved per-model predictions.")
    parser.add_argument("--config", action=ActionConfigFile)
    parser.add_argument("--members", type=dict[str, str], required=True,
                        help="model name -> predictions.npz (written by SavePredictions)")  # fmt: skip
    parser.add_argument("--weights", type=dict[str, float] | None, default=None,
                        help="model name -> weight (default: the official weights)")  # fmt: skip
    parser.add_argument("--kernel", type=KernelStep | None, default=None)
    parser.add_argument("--out", type=Path | None, default=None,
                        help="where to write the ensemble's test embeddings (.npz)")  # fmt: skip
    parser.add_argument("--overwrite", type=bool, default=False)
    args = parser.parse_args(argv)
    try:
        if args.out is not None and args.out.exists() and not args.overwrite:
            raise ConfigError("out", str(args.out), "a new file (or --overwrite true)")
        result = combine(args.members, args.weights, args.kernel)
    except (ConfigError, DatasetFormatError) as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    for name, cosine in result.cosines.items():
        print(f"{cosine:.4f}  {name}")
    if args.out is not None:
        np.savez(args.out, test_embeddings=result.embeddings, test_stems=result.stems)
        print(f"ensemble test embeddings written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
