"""LeRaC's per-block parameter groups and their starting learning rates.

A grouping is an ordered list of blocks, input to output. Each block is a set of parameter-name
prefixes and a rate rule:

- ``"eta0"``: starts at the base rate η⁽⁰⁾ (the official stem rule, quirk Q2);
- ``"curriculum"``: takes the running value ``s`` of the official rule, which starts at
  ``s0`` and is multiplied by ``factor`` after each curriculum block while ``s > min_lr``
  (``s >= min_lr`` in the official pretrained-CvT code);
- ``"classifier"``: starts at ``η⁽⁰⁾ · clf_lr``, whatever its depth (the official base group).

Presets rebuild the official dictionaries from a model's own parameter names: ``resnet``
(CIFAR ResNet and torchvision ResNet names), ``wrn_official`` (the official WRN dictionary,
written for WRN-50-2's 3/4/6/3 blocks, with the CIFAR-WRN quirk Q3), ``wrn`` (the same rule
over the CIFAR WRN's real blocks: the quirk fixed) and ``cvt`` (Hugging Face CvT names).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from torch import nn

from shared.errors import ConfigError

RateRule = Literal["eta0", "curriculum", "classifier"]
RATE_RULES: tuple[str, ...] = RateRule.__args__

# The official WRN dictionary: blocks per stage of torchvision's WRN-50-2 (quirk Q3).
OFFICIAL_WRN_BLOCKS = {"layer1": 3, "layer2": 4, "layer3": 6, "layer4": 3}


@dataclass(frozen=True)
class Block:
    """One LeRaC block: a name, the parameter-name prefixes it owns, and its rate rule."""

    name: str
    prefixes: tuple[str, ...]
    rate: RateRule = "curriculum"


def owns(prefix: str, name: str) -> bool:
    """Whether ``prefix`` names the parameter ``name`` or a module above it (by whole dotted parts)."""
    return name == prefix or name.startswith(prefix + ".")


def official_start_rates(
    count: int, s0: float, min_lr: float, factor: float = 0.1, inclusive: bool = False
) -> list[float]:
    """The official running-value rule for ``count`` blocks in input-to-output order.

    Each block gets ``s``; then ``s`` shrinks by ``factor`` while it is above the floor. The
    arithmetic is the official one, step by step in floating point, so a value a hair above the
    floor (``0.1 * 0.1**4 = 1.0000000000000004e-05``) shrinks once more.
    """
    rates, s = [], s0
    for _ in range(count):
        rates.append(s)
        if s > min_lr or (inclusive and s == min_lr):
            s *= factor
    return rates


def _top_level(model: nn.Module, *starts: str) -> tuple[str, ...]:
    """Top-level child modules (or parameters) whose names start with one of ``starts``."""
    names = [n for n, _ in model.named_children()] + [
        n for n, _ in model.named_parameters(recurse=False)
    ]
    return tuple(n for n in names if n.startswith(starts))


def _resnet_blocks(model: nn.Module) -> list[str]:
    """``layerS.i`` residual blocks in definition (input-to-output) order."""
    pattern = re.compile(r"^layer\d+\.\d+$")
    return [name for name, _ in model.named_modules() if pattern.match(name)]


def _classifier(model: nn.Module) -> tuple[str, ...]:
    found = _top_level(model, "linear", "fc")
    if not found:
        raise ConfigError(
            "model.grouping", "a ResNet preset", "a model with an `fc` or `linear` head"
        )
    return found


def resnet_grouping(model: nn.Module) -> tuple[list[Block], float]:
    """Official ResNet-18 rule: stem at η⁽⁰⁾, one curriculum block per residual block, head."""
    blocks = [Block("stem", _top_level(model, "conv1", "bn1"), "eta0")]
    blocks += [Block(name, (name,)) for name in _resnet_blocks(model)]
    blocks.append(Block("classifier", _classifier(model), "classifier"))
    return blocks, 0.1


def wrn_official_grouping(model: nn.Module) -> tuple[list[Block], float]:
    """Official WRN rule with its dictionary for 3/4/6/3 blocks (quirk Q3).

    Blocks of the dictionary take the running rate in dictionary order (absent keys, such as
    ``layer4.*`` for the three-stage CIFAR WRN, still consume a value, as in the official loop);
    real blocks outside it fall into the official ``else`` branch and start at η⁽⁰⁾·clf_lr.
    Top-level ``conv1*``/``bn1*`` (the stem *and* the final BatchNorm) start at η⁽⁰⁾.
    """
    present = _resnet_blocks(model)
    dictionary = [f"{layer}.{i}" for layer, n in OFFICIAL_WRN_BLOCKS.items() for i in range(n)]
    blocks = [Block("stem", _top_level(model, "conv1", "bn1"), "eta0")]
    blocks += [Block(name, (name,)) if name in present else Block(name, ()) for name in dictionary]
    blocks += [Block(name, (name,), "classifier") for name in present if name not in dictionary]
    blocks.append(Block("classifier", _classifier(model), "classifier"))
    return blocks, 1.0


def wrn_grouping(model: nn.Module) -> tuple[list[Block], float]:
    """WRN with the quirk fixed: every real block takes the running rate in order.

    The stem starts at η⁽⁰⁾; the final BatchNorm joins the classifier (η⁽⁰⁾·clf_lr).
    """
    stem = _top_level(model, "conv1")
    final_bn = _top_level(model, "bn1")
    blocks = [Block("stem", stem, "eta0")]
    blocks += [Block(name, (name,)) for name in _resnet_blocks(model)]
    blocks.append(Block("classifier", final_bn + _classifier(model), "classifier"))
    return blocks, 1.0


def cvt_grouping(model: nn.Module) -> tuple[list[Block], float]:
    """Official CvT rule on Hugging Face CvT names (any wrapper prefix, e.g. ``model.``).

    Official ``stageS.patch_embed`` is HF ``cvt.encoder.stages.S.embedding``, ``stageS.blocks.i``
    is ``...stages.S.layers.i`` and ``stage2.cls_token`` is ``...stages.2.cls_token``. The patch
    embedding (and the cls token) share the rate of their stage's first block, because the
    official loop only shrinks ``s`` after a block. ``layernorm`` + ``classifier`` (official
    ``norm_final`` + ``head``) start at η⁽⁰⁾·clf_lr.
    """
    pattern = re.compile(r"^(.*?cvt\.encoder\.stages\.(\d+))\.(layers\.\d+|embedding|cls_token)")
    stages: dict[str, list[str]] = {}
    prefix = None
    for name, _ in model.named_parameters():
        if match := pattern.match(name):
            stage, part = match.group(1), match.group(3)
            prefix = stage[: stage.index("cvt.encoder.stages.")]
            members = stages.setdefault(match.group(2), [])
            if f"{stage}.{part}" not in members:
                members.append(f"{stage}.{part}")
    if prefix is None:
        raise ConfigError(
            "model.grouping",
            "cvt",
            "a model with Hugging Face CvT names (`cvt.encoder.stages.S...`)",
        )
    blocks = []
    for stage, members in stages.items():
        layers = sorted(
            (m for m in members if ".layers." in m), key=lambda m: int(m.rsplit(".", 1)[1])
        )
        extra = tuple(m for m in members if ".layers." not in m)
        for index, layer in enumerate(layers):
            members_of_block = (*extra, layer) if index == 0 else (layer,)
            blocks.append(Block(f"stage{stage}.layers.{index}", members_of_block))
    head = (f"{prefix}layernorm", f"{prefix}classifier")
    blocks.append(Block("classifier", head, "classifier"))
    return blocks, 1.0


_PRESET_BUILDERS = {
    "resnet": resnet_grouping,
    "wrn_official": wrn_official_grouping,
    "wrn": wrn_grouping,
    "cvt": cvt_grouping,
}
PRESETS = tuple(_PRESET_BUILDERS)


def parse_blocks(spec: Sequence[dict[str, Any]]) -> list[Block]:
    """A custom grouping from config: ``[{name, prefixes, rate?}, ...]`` in input-to-output order."""
    blocks = []
    for index, entry in enumerate(spec):
        field = f"model.grouping[{index}]"
        if not isinstance(entry, dict) or "name" not in entry or "prefixes" not in entry:
            raise ConfigError(
                field, entry, "a mapping with `name`, `prefixes` and optionally `rate`"
            )
        unknown = set(entry) - {"name", "prefixes", "rate"}
        if unknown:
            raise ConfigError(
                field, entry, f"only the keys name/prefixes/rate, not {sorted(unknown)}"
            )
        rate = entry.get("rate", "curriculum")
        if rate not in RATE_RULES:
            raise ConfigError(f"{field}.rate", rate, f"one of {RATE_RULES}")
        prefixes = entry["prefixes"]
        if isinstance(prefixes, str) or not prefixes:
            raise ConfigError(
                f"{field}.prefixes", prefixes, "a non-empty list of parameter-name prefixes"
            )
        blocks.append(Block(str(entry["name"]), tuple(prefixes), rate))
    return blocks


def resolve_grouping(
    model: nn.Module, grouping: str | Sequence[dict[str, Any]], s0_factor: float | None = None
) -> tuple[list[Block], float]:
    """Blocks and the ``s0 / η⁽⁰⁾`` factor for a preset name or a custom spec (factor 1 unless given)."""
    if isinstance(grouping, str):
        if grouping not in _PRESET_BUILDERS:
            raise ConfigError(
                "model.grouping", grouping, f"one of the presets {PRESETS} or a list of blocks"
            )
        blocks, factor = _PRESET_BUILDERS[grouping](model)
    else:
        blocks, factor = parse_blocks(grouping), 1.0
    return blocks, factor if s0_factor is None else s0_factor


def assign_parameters(
    named_parameters: Iterable[tuple[str, nn.Parameter]], blocks: Sequence[Block]
) -> list[list[nn.Parameter]]:
    """Each block's parameters; every trainable parameter must fall in exactly one block."""
    members: list[list[nn.Parameter]] = [[] for _ in blocks]
    used_prefix: set[tuple[int, str]] = set()
    for name, param in named_parameters:
        if not param.requires_grad:
            continue
        hits = [(i, p) for i, block in enumerate(blocks) for p in block.prefixes if owns(p, name)]
        owners = sorted({i for i, _ in hits})
        if not owners:
            raise ConfigError(
                "model.grouping",
                name,
                "every trainable parameter in exactly one block",
                f"Parameter `{name}` is in no block; blocks: {[b.name for b in blocks]}.",
            )
        if len(owners) > 1:
            raise ConfigError(
                "model.grouping",
                name,
                "every trainable parameter in exactly one block",
                f"Parameter `{name}` is in two or more blocks: {[blocks[i].name for i in owners]}.",
            )
        members[owners[0]].append(param)
        used_prefix.update(hits)
    for index, block in enumerate(blocks):
        for prefix in block.prefixes:
            if (index, prefix) not in used_prefix:
                raise ConfigError(
                    f"model.grouping ({block.name})",
                    prefix,
                    "a prefix of at least one trainable parameter",
                    "Unknown block name: no parameter of the model starts with it.",
                )
    return members


def lerac_param_groups(
    model: nn.Module,
    grouping: str | Sequence[dict[str, Any]],
    eta0: float,
    min_lr: float,
    clf_lr: float,
    factor: float = 0.1,
    inclusive_floor: bool = False,
    s0_factor: float | None = None,
) -> list[dict[str, Any]]:
    """Optimizer parameter groups with LeRaC's starting rates, in input-to-output order.

    ``s0 = η⁽⁰⁾ · s0_factor`` (the preset's: 0.1 for ResNet-18, 1 for WRN and CvT). Each group
    carries ``name`` and ``lerac_start`` (its starting rate, kept in the optimizer's state so a
    resumed run still knows it). Blocks that own no parameter (absent dictionary keys) consume a
    rate but make no group.
    """
    blocks, s0_ratio = resolve_grouping(model, grouping, s0_factor)
    curriculum = [b for b in blocks if b.rate == "curriculum"]
    running = dict(
        zip(
            (b.name for b in curriculum),
            official_start_rates(len(curriculum), eta0 * s0_ratio, min_lr, factor, inclusive_floor),
            strict=True,
        )
    )
    rates = {"eta0": eta0, "classifier": eta0 * clf_lr}
    present = [b for b in blocks if b.prefixes]
    groups = []
    for block, params in zip(
        present, assign_parameters(model.named_parameters(), present), strict=True
    ):
        lr = running[block.name] if block.rate == "curriculum" else rates[block.rate]
        groups.append({"params": params, "lr": lr, "lerac_start": lr, "name": block.name})
    return groups
