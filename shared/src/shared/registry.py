"""Named builders of one kind (backbones, detectors, generators, ...) with their metadata.

The timm pattern: a config names an entry (``name`` plus keyword arguments), :meth:`Registry.build`
checks both against the builder's signature and raises a :class:`~shared.errors.ConfigError`
that names the field and lists what exists. Every entry carries ``test_kwargs``, the smallest
settings that still exercise its code, so a contract test parametrised with
:meth:`Registry.contract_cases` covers a new entry the moment it is registered.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from shared.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered builder: what it builds, what it expects, and how to test it small."""

    name: str
    builder: Callable[..., T]
    metadata: Mapping[str, Any] = field(default_factory=dict)
    test_kwargs: Mapping[str, Any] = field(default_factory=dict)

    def accepted_arguments(self) -> set[str] | None:
        """Keyword arguments the builder takes (``None``: any, it has ``**kwargs``)."""
        parameters = inspect.signature(self.builder).parameters.values()
        if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters):
            return None
        return {p.name for p in parameters if p.kind is not inspect.Parameter.VAR_POSITIONAL}


class Registry(Generic[T]):
    """``name -> builder + metadata``; ``field`` is the config key that names an entry."""

    def __init__(self, kind: str, field: str) -> None:
        self.kind, self.field = kind, field
        self._entries: dict[str, Entry[T]] = {}

    def register(
        self,
        name: str,
        builder: Callable[..., T] | None = None,
        *,
        test_kwargs: Mapping[str, Any] | None = None,
        **metadata: Any,
    ) -> Any:
        """Register ``builder`` under ``name`` (or use as a decorator without ``builder``)."""

        def add(fn: Callable[..., T]) -> Callable[..., T]:
            if name in self._entries and self._entries[name].builder is not fn:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = Entry(
                name,
                fn,
                MappingProxyType(dict(metadata)),
                MappingProxyType(dict(test_kwargs or {})),
            )
            return fn

        return add if builder is None else add(builder)

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, name: str) -> Entry[T]:
        if name not in self._entries:
            raise ConfigError(self.field, name, f"a registered {self.kind}: one of {list(self)}")
        return self._entries[name]

    def build(self, name: str, /, **kwargs: Any) -> T:
        """Build entry ``name`` with ``kwargs``; an unknown name or argument is a ConfigError."""
        entry = self.entry(name)
        accepted = entry.accepted_arguments()
        if accepted is not None and (unknown := sorted(set(kwargs) - accepted)):
            raise ConfigError(
                f"{self.field}.args.{unknown[0]}",
                kwargs[unknown[0]],
                f"one of the arguments of {self.kind} {name!r}: {sorted(accepted)}",
            )
        return entry.builder(**kwargs)

    def contract_cases(self) -> list[tuple[str, Entry[T]]]:
        """``(name, entry)`` of every entry, for ``pytest.mark.parametrize`` (ids: the names)."""
        return [(name, self._entries[name]) for name in self]
