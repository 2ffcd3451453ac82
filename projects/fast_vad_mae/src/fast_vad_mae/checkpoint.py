"""Load the authors' released checkpoints (``checkpoint-best.pth`` ...) into our model."""

from __future__ import annotations

from pathlib import Path

import torch

from fast_vad_mae.model import MaskedAutoencoderCvT
from shared.data.errors import DatasetFormatError


def load_official_checkpoint(
    model: MaskedAutoencoderCvT, path: Path | str, trusted: bool = False
) -> None:
    """Load a state dict (bare, or under ``"model"``) with ``strict=True``.

    Official checkpoints also pickle their training arguments; ``weights_only`` loading refuses
    those, so pass ``trusted=True`` only for a file whose origin you trust.
    """
    try:
        content = torch.load(Path(path), map_location="cpu", weights_only=not trusted)
    except Exception as error:  # torch raises UnpicklingError or RuntimeError with weights_only
        raise DatasetFormatError(
            path,
            f"a file that weights-only loading refused ({type(error).__name__})",
            "a state dict; pass trusted=True for an official checkpoint you trust",
        ) from error
    state = content.get("model", content) if isinstance(content, dict) else content
    model.load_state_dict(state, strict=True)
