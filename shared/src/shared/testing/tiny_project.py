"""A throwaway project folder with a tiny digits config, for the CLI tests."""

from pathlib import Path

TINY_CONFIG = """\
seed_everything: 0
trainer:
  max_epochs: 2
  enable_progress_bar: false
  enable_model_summary: false
  limit_train_batches: 4
  limit_val_batches: 2
  limit_test_batches: 2
model:
  class_path: shared.classification.ImageClassifier
  init_args:
    backbone: {name: cifar_resnet, args: {widths: [4, 4, 8, 8], blocks: [1, 1, 1, 1]}}
    optimizer:
      class_path: torch.optim.SGD
      init_args: {lr: 0.1, momentum: 0.9, weight_decay: 5.0e-4}
    lr_scheduler:
      class_path: torch.optim.lr_scheduler.MultiStepLR
      init_args: {milestones: [1], gamma: 0.1}
data:
  class_path: shared.data.digits.DigitsDataModule
  init_args:
    image_size: 8
    loader: {batch_size: 16}
"""


def make_tiny_project(root: Path, name: str = "tinyproj") -> Path:
    project = root / name
    (project / "configs").mkdir(parents=True)
    (project / "configs" / "default.yaml").write_text(TINY_CONFIG)
    return project
