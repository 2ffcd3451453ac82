"""CvT-13 (Wu et al., 2021) built with ``transformers``' CvT, made to compute what Microsoft's
original CvT code (the one the LeRaC and CBM repositories vendor) computes.

The Hugging Face module names are kept (``model.cvt.encoder.stages.S.layers.i...``,
``model.layernorm``, ``model.classifier``), so ``microsoft/cvt-13`` loads by name, and
:func:`convert_microsoft_cvt_state_dict` maps the original ``CvT-13-224x224-IN-1k.pth`` keys
onto them. Three differences of the HF implementation from the original are undone on the
built instance (no third-party code is edited; no parameter name changes):

- the MLP uses QuickGELU ``x * sigmoid(1.702 x)`` as in the original, not exact GELU;
- stochastic depth: HF gives every layer of a stage the same rate (``linspace(...)[stage]``) and
  drops the MLP branch *together with its residual*; here layer ``i`` of the last stage drops
  each residual branch alone with rate ``linspace(0, drop_path_rate, depth)[i]``, as timm's
  ``DropPath`` does in the original;
- from scratch, convolutions keep PyTorch's default init (the original initialises only Linear,
  LayerNorm and BatchNorm), instead of HF's truncated normal.
"""

from __future__ import annotations

import re
from functools import partial
from pathlib import Path

import torch
from torch import nn

from shared.data.errors import DatasetFormatError
from shared.errors import ConfigError, check_range

CVT13_EMBED_DIM = (64, 192, 384)
CVT13_DEPTH = (1, 2, 10)
CVT13_NUM_HEADS = (1, 3, 6)
CVT_WEIGHTS_HINT = (
    "Get Microsoft's `CvT-13-224x224-IN-1k.pth` from the model zoo linked in the README of "
    "https://github.com/microsoft/CvT, or the Hugging Face model `microsoft/cvt-13` "
    "(`huggingface-cli download microsoft/cvt-13 --local-dir <folder>`) on a machine with "
    "internet access, and point `pretrained` at the file or folder."
)


class QuickGELU(nn.Module):
    """The original CvT's activation: ``x * sigmoid(1.702 x)``."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


def drop_path(x: torch.Tensor, rate: float, training: bool) -> torch.Tensor:
    """Stochastic depth: zero a whole sample's branch with probability ``rate``, rescale the rest."""
    if rate == 0.0 or not training:
        return x
    keep = 1.0 - rate
    shape = (x.shape[0],) + (1,) * (x.ndim - 1)
    mask = torch.floor(keep + torch.rand(shape, dtype=x.dtype, device=x.device))
    return x / keep * mask


def _drop_branch_hook(
    module: nn.Module, args: tuple, output: torch.Tensor, rate: float
) -> torch.Tensor:
    return drop_path(output, rate, module.training)


def _make_faithful(model: nn.Module, drop_path_rates: list[list[float]]) -> None:
    """QuickGELU and per-branch, per-layer stochastic depth on a ``CvtForImageClassification``."""
    for stage, rates in zip(model.cvt.encoder.stages, drop_path_rates, strict=True):
        for layer, rate in zip(stage.layers, rates, strict=True):
            layer.intermediate.activation = QuickGELU()
            layer.drop_path = nn.Identity()
            if rate > 0:
                # attention branch: its output, before the first residual sum
                layer.attention.register_forward_hook(partial(_drop_branch_hook, rate=rate))
                # MLP branch: fc2's output, before CvtOutput adds the residual
                layer.output.dense.register_forward_hook(partial(_drop_branch_hook, rate=rate))


def cvt_config(
    num_classes: int,
    drop_path_rate: float = 0.1,
    embed_dim: tuple[int, ...] = CVT13_EMBED_DIM,
    depth: tuple[int, ...] = CVT13_DEPTH,
    num_heads: tuple[int, ...] = CVT13_NUM_HEADS,
):
    """A ``CvtConfig`` at the settings of the original ``cvt-13-224x224.yaml``: patch 7/3/3,
    stride 4/2/2, padding 2/1/1, MLP ratio 4, qkv bias, dw-bn projections (kernel 3, kv stride 2),
    cls token in the last stage only, stochastic depth only in the last stage."""
    from transformers import CvtConfig

    return CvtConfig(
        num_labels=num_classes,
        embed_dim=list(embed_dim),
        depth=list(depth),
        num_heads=list(num_heads),
        patch_sizes=[7, 3, 3],
        patch_stride=[4, 2, 2],
        patch_padding=[2, 1, 1],
        mlp_ratio=[4.0, 4.0, 4.0],
        qkv_bias=[True, True, True],
        cls_token=[False, False, True],
        drop_path_rate=[0.0, 0.0, drop_path_rate],
        layer_norm_eps=1e-5,
    )


_QKV = (("q", "query"), ("k", "key"), ("v", "value"))
# Original CvT block names -> Hugging Face CvtLayer names (prefix replacements).
_BLOCK_RENAMES = (
    ("norm1.", "layernorm_before."),
    ("norm2.", "layernorm_after."),
    ("mlp.fc1.", "intermediate.dense."),
    ("mlp.fc2.", "output.dense."),
    ("attn.proj.", "attention.output.dense."),
    *(
        (
            f"attn.conv_proj_{short}.{part}.",
            f"attention.attention.convolution_projection_{full}.convolution_projection.{hf}.",
        )
        for short, full in _QKV
        for part, hf in (("conv", "convolution"), ("bn", "normalization"))
    ),
    *((f"attn.proj_{short}.", f"attention.attention.projection_{full}.") for short, full in _QKV),
)
_STAGE_RENAMES = (
    ("patch_embed.proj.", "embedding.convolution_embeddings.projection."),
    ("patch_embed.norm.", "embedding.convolution_embeddings.normalization."),
)


def _rename(key: str) -> str:
    if key.startswith("norm_final."):
        return "layernorm." + key.removeprefix("norm_final.")
    if key.startswith("head."):
        return "classifier." + key.removeprefix("head.")
    if match := re.fullmatch(r"stage(\d+)\.blocks\.(\d+)\.(.+)", key):
        stage, index, rest = match.groups()
        for old, new in _BLOCK_RENAMES:
            if rest.startswith(old):
                return f"cvt.encoder.stages.{stage}.layers.{index}.{new}{rest.removeprefix(old)}"
    elif match := re.fullmatch(r"stage(\d+)\.(.+)", key):
        stage, rest = match.groups()
        if rest == "cls_token":
            return f"cvt.encoder.stages.{stage}.cls_token"
        for old, new in _STAGE_RENAMES:
            if rest.startswith(old):
                return f"cvt.encoder.stages.{stage}.{new}{rest.removeprefix(old)}"
    raise ValueError(f"unknown key {key!r} in an original CvT state dict")


def convert_microsoft_cvt_state_dict(
    state_dict: dict[str, torch.Tensor],
) -> dict[str, torch.Tensor]:
    """Rename the keys of Microsoft's original CvT checkpoint (``stage{S}.blocks.{i}.attn...``,
    ``norm_final``, ``head``) to ``CvtForImageClassification`` names; tensors are unchanged."""
    return {_rename(key): value for key, value in state_dict.items()}


def load_microsoft_checkpoint(model: nn.Module, path: Path) -> None:
    """Load an original ``.pth`` into a ``CvtForImageClassification``; a head of another size is
    left at its fresh init (fine-tuning on a new label set)."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    try:
        converted = convert_microsoft_cvt_state_dict(state)
    except ValueError as error:
        raise DatasetFormatError(path, str(error), "Microsoft's original CvT state dict") from error
    head = model.classifier.weight.shape
    if "classifier.weight" in converted and converted["classifier.weight"].shape != head:
        converted = {k: v for k, v in converted.items() if not k.startswith("classifier.")}
    missing, unexpected = model.load_state_dict(converted, strict=False)
    missing = [k for k in missing if not k.startswith("classifier.")]
    if missing or unexpected:
        raise DatasetFormatError(
            path,
            f"missing keys {missing[:5]} and unexpected keys {unexpected[:5]}",
            "a CvT checkpoint of this configuration",
        )


def _from_hugging_face(name: str, config) -> nn.Module:
    """``from_pretrained`` with the checkpoint's own config, which must match ``config``'s shape.
    A hub id is looked up in the local cache first and fails fast offline (:mod:`shared.hub`)."""
    from transformers import CvtForImageClassification

    from shared.hub import require_pretrained

    source = require_pretrained(
        name, library="transformers", field="model.backbone.pretrained", hint=CVT_WEIGHTS_HINT
    )
    try:
        model = CvtForImageClassification.from_pretrained(
            str(source),
            num_labels=config.num_labels,
            drop_path_rate=config.drop_path_rate,
            ignore_mismatched_sizes=True,
            local_files_only=isinstance(source, Path),
        )
    except OSError as error:
        raise ConfigError(
            "model.backbone.pretrained",
            name,
            "a loadable CvT model",
            f"({error}) {CVT_WEIGHTS_HINT}",
        ) from error
    shape = {k: list(getattr(model.config, k)) for k in ("embed_dim", "depth", "num_heads")}
    if shape != {k: list(getattr(config, k)) for k in shape}:
        raise ConfigError(
            "model.backbone.pretrained", name, f"a CvT of the requested shape, not {shape}"
        )
    return model


class CvT13(nn.Module):
    """CvT-13 classifier: ``forward(images) -> logits``; the HF model lives in :attr:`model`.

    ``pretrained``: ``None`` (random init), a Hugging Face model name or folder (e.g.
    ``microsoft/cvt-13``; a head of another size is re-initialised), or a path to Microsoft's
    original ``.pth``. ``image_size`` is the input resolution the model is used at (CvT is
    convolutional: any size from 16 up works); it is metadata for configs and the registry.
    ``embed_dim``/``depth``/``num_heads`` shrink the model for tests.
    """

    def __init__(
        self,
        num_classes: int = 10,
        image_size: int = 224,
        pretrained: str | None = None,
        drop_path_rate: float = 0.1,
        embed_dim: tuple[int, int, int] = CVT13_EMBED_DIM,
        depth: tuple[int, int, int] = CVT13_DEPTH,
        num_heads: tuple[int, int, int] = CVT13_NUM_HEADS,
    ) -> None:
        super().__init__()
        from transformers import CvtForImageClassification

        check_range("model.backbone.num_classes", num_classes, 1)
        check_range("model.backbone.image_size", image_size, 16)
        check_range("model.backbone.drop_path_rate", drop_path_rate, 0.0, 1.0, high_inclusive=False)
        if any(d < s + 1 for s, d in enumerate(depth)):
            # transformers indexes each stage's drop-path list with the stage number
            raise ConfigError("model.backbone.depth", depth, "at least (1, 2, 3) layers per stage")
        self.num_classes, self.image_size = num_classes, image_size
        config = cvt_config(num_classes, drop_path_rate, embed_dim, depth, num_heads)
        if pretrained is None:
            self.model = CvtForImageClassification(config)
            for module in self.model.modules():
                if isinstance(module, nn.Conv2d):
                    module.reset_parameters()
        elif pretrained.endswith((".pth", ".pt")):
            path = Path(pretrained).expanduser()
            if not path.is_file():
                raise ConfigError(
                    "model.backbone.pretrained",
                    pretrained,
                    "an existing .pth file",
                    CVT_WEIGHTS_HINT,
                )
            self.model = CvtForImageClassification(config)
            load_microsoft_checkpoint(self.model, path)
        else:
            self.model = _from_hugging_face(pretrained, config)
        last = torch.linspace(0, drop_path_rate, depth[2]).tolist()
        _make_faithful(self.model, [[0.0] * depth[0], [0.0] * depth[1], last])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(pixel_values=x).logits
