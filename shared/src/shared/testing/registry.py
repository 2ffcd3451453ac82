"""The contract-test helper of :class:`shared.registry.Registry`: one pytest case per entry."""

from __future__ import annotations

import pytest

from shared.registry import Registry


def registry_cases(registry: Registry) -> list:
    """``pytest.param(entry, id=name)`` for every entry, for ``@pytest.mark.parametrize``: a
    contract test written once covers each entry the moment it is registered."""
    return [pytest.param(entry, id=name) for name, entry in registry.contract_cases()]
