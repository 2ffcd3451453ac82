"""Every config builds what it built before the experiment-layer refactoring (issue 11).

The refactoring rewrote every YAML config (injected optimiser and schedule, registry backbones,
the class count from the data, the Loader object). For each config this builds the model,
optimiser, schedule, data and trainer as a run would and compares what matters with the same
fingerprint taken at commit 47460d0 (``tests/data/config_semantics_47460d0.json``, written by
running this file as a script in a checkout of that commit: ``python tests/test_config_semantics.py
<repo> <out.json>``). Configs whose pretrained weights are not on this machine fail to build in
both and are compared by their error alone.
"""

from __future__ import annotations

import json
import logging
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

EXPECTED = Path(__file__).parent / "data" / "config_semantics_47460d0.json"
PROJECTS = ("lerac", "cbm", "gini_loss", "fast_vad_mae")


def _optimiser_summary(model: Any, trainer: Any) -> dict[str, Any]:
    import torch

    model.trainer = trainer
    built = model.configure_optimizers()
    optimizer = built["optimizer"] if isinstance(built, dict) else built
    config = built.get("lr_scheduler") if isinstance(built, dict) else None
    scheduler = config["scheduler"] if config else None
    groups = [
        {k: v for k, v in g.items() if k != "params" and not isinstance(v, torch.Tensor)}
        | {"n": len(g["params"])}
        for g in optimizer.param_groups
    ]
    return {
        "optimizer": type(optimizer).__name__,
        "groups": groups,
        "scheduler": type(scheduler).__name__ if scheduler else None,
        "milestones": sorted(getattr(scheduler, "milestones", {})) if scheduler else None,
        "gamma": getattr(scheduler, "gamma", None),
        "T_max": getattr(scheduler, "T_max", None),
        "eta_min": getattr(scheduler, "eta_min", None),
    }


def fingerprint(project_dir: Path, config: Path) -> dict[str, Any]:
    """What a run of ``config`` would build: model size and keys, optimiser groups, schedule,
    data class and batch size, class count, callbacks, epochs (or the error it stops with)."""
    from shared.cli import ReproCLI

    try:
        args = ["--config", str(config), "--trainer.enable_progress_bar=false"]
        cli = ReproCLI(project_dir.name, "semantics", args=args)
    except BaseException as error:  # a config the machine cannot build (missing weights)
        return {"error": type(error).__name__}
    model, data, trainer = cli.model, cli.datamodule, cli.trainer
    inner = getattr(data, "data", None)
    source = inner if inner is not None else data
    batch = source.loader.batch_size if hasattr(source, "loader") else source.batch_size
    return {
        "model": type(model).__name__,
        "parameters": sum(p.numel() for p in model.parameters()),
        "state_keys": len(model.state_dict()),
        **_optimiser_summary(model, trainer),
        "data": type(data).__name__,
        "inner_data": type(inner).__name__ if inner is not None else None,
        "batch_size": batch,
        "num_classes": getattr(model, "num_classes", None),
        "callbacks": sorted(type(c).__name__ for c in trainer.callbacks),
        "max_epochs": trainer.max_epochs,
    }


def configs(root: Path) -> list[tuple[str, Path, Path]]:
    found = []
    for project in PROJECTS:
        folder = root / "projects" / project
        for config in sorted(folder.glob("configs/*.yaml")) + sorted(
            folder.glob("configs/paper/*.yaml")
        ):
            found.append((f"{project}/{config.relative_to(folder)}", folder, config))
    return found


def all_fingerprints(root: Path) -> dict[str, dict[str, Any]]:
    warnings.filterwarnings("ignore")
    logging.disable(logging.WARNING)
    return {key: fingerprint(folder, config) for key, folder, config in configs(root)}


@pytest.mark.slow
def test_every_config_builds_what_it_built_at_47460d0(monkeypatch, tmp_path):
    from shared.paths import repo_root

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))  # an empty cache: pretrained rows fail
    monkeypatch.setattr(sys, "argv", ["train.py"])
    expected = json.loads(EXPECTED.read_text())
    found = json.loads(json.dumps(all_fingerprints(repo_root()), default=str))
    assert sorted(found) == sorted(expected)
    differing = {k: (expected[k], found[k]) for k in expected if found[k] != expected[k]}
    assert differing == {}
    assert sum("error" not in v for v in found.values()) >= 70  # most configs really built


if __name__ == "__main__":
    import os
    import tempfile

    os.environ["RUNS_ROOT"] = tempfile.mkdtemp()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    result = all_fingerprints(Path(sys.argv[1]))
    Path(sys.argv[2]).write_text(json.dumps(result, indent=1, sort_keys=True, default=str) + "\n")
