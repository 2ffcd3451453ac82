"""Feature taps: the outputs of named sub-modules, captured with forward hooks.

Hooks let the loss read any backbone (our CIFAR ResNets, the official ResNet-50, HF's CvT)
without changing its ``forward``: the deployed model is the same with and without the loss.
Hooks are attached only inside :meth:`FeatureTaps.capture`, so outside it the backbone runs
exactly as it would without this project.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from torch import nn

from shared.errors import ConfigError


def first_tensor(output: Any) -> torch.Tensor | None:
    """A module's output as one tensor: itself, or the first tensor of a tuple, list, dict or a
    model-output object (HF's ``ModelOutput`` is an ordered dict)."""
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, dict):
        output = list(output.values())
    if isinstance(output, (tuple, list)):
        for item in output:
            if isinstance(item, torch.Tensor):
                return item
    return None


class FeatureTaps:
    """The named modules of ``model`` whose outputs feed the loss, checked once at construction."""

    def __init__(self, model: nn.Module, names: Sequence[str], field: str = "model.taps") -> None:
        modules = dict(model.named_modules())
        missing = [name for name in names if name not in modules or name == ""]
        if missing:
            available = [name for name in modules if name and name.count(".") < 2]
            raise ConfigError(
                field,
                list(names),
                "names of sub-modules of the backbone",
                f"No module is called {missing}. Top-level candidates: {available[:40]}.",
            )
        self.names = list(names)
        self.modules = [modules[name] for name in self.names]

    @contextmanager
    def capture(self) -> Iterator[list[torch.Tensor | None]]:
        """Within the block, each forward writes tap ``i``'s tensor into slot ``i`` of the list."""
        outputs: list[torch.Tensor | None] = [None] * len(self.modules)
        handles = [
            module.register_forward_hook(self._hook(index, outputs))
            for index, module in enumerate(self.modules)
        ]
        try:
            yield outputs
        finally:
            for handle in handles:
                handle.remove()

    def _hook(self, index: int, outputs: list[torch.Tensor | None]):
        name = self.names[index]

        def hook(module: nn.Module, args: Any, output: Any) -> None:
            tensor = first_tensor(output)
            if tensor is None or tensor.ndim not in (2, 3, 4):
                found = type(output).__name__ if tensor is None else f"shape {tuple(tensor.shape)}"
                raise ConfigError(
                    "model.taps",
                    name,
                    "a module whose output (or its first tensor) has rank 2, 3 or 4",
                    f"Its output is {found}.",
                )
            outputs[index] = tensor

        return hook
