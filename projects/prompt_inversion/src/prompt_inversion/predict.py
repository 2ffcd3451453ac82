"""``python -m prompt_inversion.predict CHECKPOINT IMAGE``: the prompt keywords of an image.

Prints the top vocabulary words (sigmoid of the classifier's logits), the nearest training
prompts by cosine to the predicted embedding (from the prompts the checkpoint keeps), and writes
the 384-d embedding as ``.npy``. Works with any checkpoint of :class:`PromptInversion`.
"""

from __future__ import annotations

import argparse
import inspect
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from prompt_inversion.data import square_transform
from prompt_inversion.model import Backbone
from prompt_inversion.module import PromptInversion
from prompt_inversion.vocab import Vocabulary, top_words
from shared.data.errors import DatasetFormatError
from shared.data.image_files import load_rgb
from shared.errors import ConfigError


@dataclass(frozen=True)
class Prediction:
    embedding: np.ndarray
    words: list[tuple[str, float]]
    nearest: list[tuple[str, float]]


def load_model(checkpoint: Path) -> PromptInversion:
    """The trained module (pretrained backbone weights are not fetched again: the checkpoint
    holds every weight; the U-Net, whose tokenizer and configs come from its repository, is
    rebuilt from it), checked for a vocabulary that fits its classifier."""
    if not checkpoint.is_file():
        raise ConfigError("checkpoint", str(checkpoint), "an existing .ckpt file of this project")
    # a full unpickle (the hyperparameters hold the Backbone dataclass): load your own runs only
    state = torch.load(checkpoint, map_location="cpu", weights_only=False)
    if "hyper_parameters" not in state or "backbone" not in state["hyper_parameters"]:
        raise ConfigError(
            "checkpoint", str(checkpoint), "a checkpoint of prompt_inversion's PromptInversion"
        )
    accepted = inspect.signature(PromptInversion.__init__).parameters  # the CLI adds _class_path
    hparams = {k: v for k, v in state["hyper_parameters"].items() if k in accepted}
    backbone = hparams.pop("backbone")  # a Backbone, or its fields when the CLI built the run
    backbone = Backbone(**backbone) if isinstance(backbone, dict) else backbone
    keep = backbone.rebuild_from_pretrained  # e.g. the U-Net's tokenizer and configs
    args = {k: v for k, v in backbone.args.items() if keep or k != "pretrained"}
    model = PromptInversion(backbone=replace(backbone, args=args), **hparams)
    model.load_state_dict(state["state_dict"])
    model.on_load_checkpoint(state)
    words = model.vocabulary or []
    if len(words) != model.net.classifier.out_features:
        raise ConfigError(
            "checkpoint",
            str(checkpoint),
            f"a vocabulary of {model.net.classifier.out_features} words (the classifier's outputs)",
            f"It holds {len(words)}: the checkpoint was not written by a fitted PromptInversion.",
        )
    return model.eval()


@torch.no_grad()
def predict(
    model: PromptInversion,
    image_path: Path,
    top: int = 10,
    nearest: int = 5,
    image_size: int | None = None,
) -> Prediction:
    size = image_size or model.image_size
    if size is None:
        raise ConfigError(
            "--image-size", None, "the side the model was trained at", "The checkpoint lacks it."
        )
    image = load_rgb(image_path)
    embedding, _, logits = model(square_transform(size)(image).unsqueeze(0))
    words = top_words(logits[0].numpy(), Vocabulary(tuple(model.vocabulary)), top)
    close: list[tuple[str, float]] = []
    if model.prompt_index is not None and nearest:
        prompts, vectors = model.prompt_index
        cosines = vectors.float() @ embedding[0]
        order = torch.argsort(cosines, descending=True, stable=True)[:nearest]
        close = [(prompts[i], float(cosines[i])) for i in order]
    return Prediction(embedding[0].numpy(), words, close)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("image", type=Path)
    parser.add_argument("--top", type=int, default=10, help="vocabulary words to show")
    parser.add_argument("--nearest", type=int, default=5, help="nearest training prompts to show")
    parser.add_argument("--out", type=Path, help="where to write the embedding (default IMAGE.npy)")
    parser.add_argument("--image-size", type=int, help="input side (default: the checkpoint's)")
    args = parser.parse_args(argv)
    try:
        model = load_model(args.checkpoint)
        result = predict(model, args.image, args.top, args.nearest, args.image_size)
    except (ConfigError, DatasetFormatError) as error:
        sys.stderr.write(f"error: {error}\n")
        return 2
    print("top words: " + ", ".join(f"{w} ({p:.2f})" for w, p in result.words))
    for prompt, cosine in result.nearest:
        print(f"  {cosine:.4f}  {prompt}")
    out = args.out or args.image.with_suffix(".npy")
    np.save(out, result.embedding)
    print(f"embedding ({result.embedding.shape[0]}-d) written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
