"""Scaffold a new paper project with the fixed layout: `python tools/new_project.py NAME`.

The scaffold is the whole pattern: a config schema on the shared classifier (registry backbone,
injected optimiser and schedule, Loader), a reproduction declared as a `shared.sweep.Sweep`, a
bench and a GPU check that declare only what they time, and README sections generated from
results/. It trains the digits-protocol classifier out of the box, so `python train.py`, the smoke
config and the cross-project tests pass before any method code is written. Afterwards: add the
member to uv.lock (`uv lock`), pin its default config in tests/test_default_config_pins.py, then
replace the module with the method.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FILES = {
    "pyproject.toml": """\
[project]
name = "{dist}"
version = "0.1.0"
description = "{title}"
requires-python = ">=3.11"
dependencies = ["shared"]

[tool.uv.sources]
shared = {{ workspace = true }}

[tool.uv.build-backend]
module-name = "{name}"

[build-system]
requires = ["uv_build>=0.8,<0.14"]
build-backend = "uv_build"
""",
    "train.py": '''\
"""Train {title}: `python train.py [--config configs/<file>.yaml] [--resume]`."""

from pathlib import Path

from shared.cli import main

if __name__ == "__main__":
    main(Path(__file__).parent)
''',
    "configs/default.yaml": """\
# The embedded default: the digits protocol (see the repository README).
seed_everything: 0
trainer:
  max_epochs: 15
model:
  class_path: {name}.module.Classifier
  init_args:
    backbone: {{name: digits_resnet}}
    optimizer:
      class_path: torch.optim.SGD
      init_args: {{lr: 0.1, momentum: 0.9, weight_decay: 0.0005}}
    lr_scheduler:
      class_path: torch.optim.lr_scheduler.MultiStepLR
      init_args: {{milestones: [8, 12], gamma: 0.1}}
data:
  class_path: shared.data.digits.DigitsDataModule
  init_args:
    image_size: 16
    loader: {{batch_size: 64}}
""",
    "configs/smoke.yaml": """\
# The default pipeline shrunk to seconds, run by tests/ at the repository root.
seed_everything: 0
trainer:
  max_epochs: 1
  limit_train_batches: 2
  limit_val_batches: 1
  limit_test_batches: 1
  enable_progress_bar: false
model:
  class_path: {name}.module.Classifier
  init_args:
    backbone: {{name: cifar_resnet, args: {{widths: [4, 4, 8, 8], blocks: [1, 1, 1, 1]}}}}
data:
  class_path: shared.data.digits.DigitsDataModule
  init_args:
    image_size: 8
    loader: {{batch_size: 16}}
""",
    "src/{name}/__init__.py": '"""{title}."""\n',
    "src/{name}/module.py": '''\
"""The LightningModule of {title}: replace `compute_loss` / add callbacks for the method."""

from shared.classification import ImageClassifier


class Classifier(ImageClassifier):
    """Cross-entropy on the digits protocol until the method is implemented."""
''',
    "src/{name}/reproduce.py": '''\
"""`make reproduce-{name}`: the reproduction, declared; :func:`shared.sweep.run` runs it."""

from __future__ import annotations

from pathlib import Path

from shared.plots import plot_metric
from shared.results import Results
from shared.sweep import Arm, Metric, Records, Sweep, run

ACCURACY = Metric("last/test/acc", "test acc, last epoch (%)", scale=100)


def figures(results: Results, records: Records, out: Path) -> list[Path]:
    return [plot_metric(results, ACCURACY.label, out / "test_acc_last.png", ACCURACY.limits)]


SWEEP = Sweep(
    project="{name}",
    title="{title} on the digits protocol (CPU scale)",
    setting="digits protocol",
    arms=(Arm("method", ("default.yaml",)),),
    seeds=(0, 1, 2, 3, 4),
    metrics=(ACCURACY,),
    figures=figures,
    notes=("The paper reports no digits numbers: paper column not available.",),
)

if __name__ == "__main__":
    run(SWEEP)
''',
    "src/{name}/bench.py": '''\
"""`make bench`: what is timed and its target (the harness in :mod:`shared.bench` does the rest)."""

from __future__ import annotations

import torch

from shared.bench import Throughput
from {name}.module import Classifier


def train_step():
    """One forward/backward/SGD step of the default module on a digits-sized batch."""
    module = Classifier().train()
    optimizer = module.configure_optimizers()["optimizer"]
    images, labels = torch.randn(64, 3, 16, 16), torch.arange(64) % 10

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        module.compute_loss(images, labels)[0].backward()
        optimizer.step()

    return step


def benchmarks() -> list[Throughput]:
    return [Throughput("train step (digits ResNet, batch 64, 16 px)", train_step, items=64)]
''',
    "src/{name}/gpu_check.py": '''\
"""`python -m {name}.gpu_check`: one bf16 training step at paper resolution on CUDA, as JSON
lines (run by tools/gpu_check.py with the GPU machine's own stack: no jsonargparse here)."""

from __future__ import annotations

import sys

import torch

from shared import gpucheck
from shared.gpucheck import GpuCheck, TrainStep
from shared.models import cifar_resnet18


def checks() -> list[GpuCheck]:
    def step():
        return cifar_resnet18(10), torch.randn(64, 3, 32, 32), torch.arange(64) % 10

    return [TrainStep("ResNet-18 CIFAR (32 px)", step)]


if __name__ == "__main__":
    sys.exit(gpucheck.main("{name}", checks))
''',
    "tests/test_module.py": '''\
"""Replace with tests of the method against hand-computed values."""

import torch

from {name}.module import Classifier


def test_forward_shape():
    logits = Classifier()(torch.zeros(2, 3, 16, 16))
    assert logits.shape == (2, 10)
''',
    "tests/test_reproduce.py": '''\
"""The reproduction end to end, shrunk to one batch and one seed."""

import pytest

from shared.sweep import run
from shared.testing.sweeps import shrunk
from {name} import reproduce


@pytest.mark.slow
def test_reproduction_writes_its_rows_and_figures(tmp_path, monkeypatch):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    results = run(shrunk(reproduce.SWEEP))
    assert all(0 <= row.ours.values[0] <= 100 for row in results.rows)
    assert (tmp_path / "{name}" / "test_acc_last.png").stat().st_size > 0
''',
    "README.md": """\
# {title}

Paper: (title, venue, arXiv id). Official code: (repository and commit).

What this reproduces here, in one paragraph: (the method, the embedded data, what the CPU-scale
run can and cannot show).

```bash
make reproduce-{name}                           # every arm and seed -> results/{name}/
cd projects/{name} && uv run python train.py    # one run of the default config
```
<!-- generated: timing {name}:method -->
<!-- end generated -->
`python train.py` shows Lightning's progress bar and ends with the test metrics of the last and
the best-on-validation checkpoints and the run folder; `make reproduce-{name}` prints one line
per run (arm, seed, k/N, time, time left), then the table below.

## Results
<!-- generated: results {name} -->
<!-- end generated -->

## Departures from the official code
""",
}


def scaffold(name: str, title: str, root: Path = ROOT) -> Path:
    """Write the project folder; refuses an existing one."""
    if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
        raise SystemExit(f"error: project name {name!r} must be a lowercase Python identifier")
    target = root / "projects" / name
    if target.exists():
        raise SystemExit(f"error: {target} already exists; not overwriting it")
    values = {"name": name, "dist": name.replace("_", "-"), "title": title}
    for relative, template in FILES.items():
        path = target / relative.format(**values)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(template.format(**values))
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name", help="the project's folder and package name, e.g. my_method")
    parser.add_argument("--title", default=None, help="a one-line description of the paper")
    args = parser.parse_args()
    target = scaffold(args.name, args.title or args.name)
    print(
        f"created {target.relative_to(ROOT)}; next: `uv lock && make setup`, then write the method."
    )


if __name__ == "__main__":
    sys.exit(main())
