"""Scaffold a new paper project with the fixed layout: `python tools/new_project.py NAME`.

The scaffold trains the digits-protocol classifier out of the box, so `python train.py`, the
smoke config and the cross-project tests pass before any method code is written. Afterwards:
add the member to uv.lock (`uv lock`), then replace the module with the method.
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
    backbone:
      class_path: shared.models.CifarResNet
      init_args: {{num_classes: 10, widths: [16, 32, 64, 128], blocks: [1, 1, 1, 1]}}
    milestones: [8, 12]
data:
  class_path: shared.data.digits.DigitsDataModule
  init_args: {{image_size: 16, batch_size: 64}}
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
    backbone:
      class_path: shared.models.CifarResNet
      init_args: {{num_classes: 10, widths: [4, 4, 8, 8], blocks: [1, 1, 1, 1]}}
data:
  class_path: shared.data.digits.DigitsDataModule
  init_args: {{image_size: 8, batch_size: 16}}
""",
    "src/{name}/__init__.py": '"""{title}."""\n',
    "src/{name}/module.py": '''\
"""The LightningModule of {title}: replace `compute_loss` / add callbacks for the method."""

from shared.classification import ImageClassifier


class Classifier(ImageClassifier):
    """Cross-entropy on the digits protocol until the method is implemented."""
''',
    "tests/test_module.py": '''\
"""Replace with tests of the method against hand-computed values."""

import torch

from {name}.module import Classifier


def test_forward_shape():
    logits = Classifier()(torch.zeros(2, 3, 16, 16))
    assert logits.shape == (2, 10)
''',
    "README.md": """\
# {title}

Paper: (title, venue, arXiv id). Official code: (repository and commit).

```bash
make reproduce-{name}   # the reproduction -> results/{name}/
cd projects/{name} && uv run python train.py   # one run of the default config
```

## Results
(Filled from results/{name}/ by the reproduction; never by hand.)

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
