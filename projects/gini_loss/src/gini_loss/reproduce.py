"""`make reproduce-gini_loss`: CE vs CE + Gini + KL on the digits protocol, seeds 0-4.

Settings: the full training split, the reduced one (20 images per class) where accuracy has room
to move, and a lambda_Gini sweep {1, 2} on the full split. Per run: test accuracy at the last and
the best-validation epoch; on the last-epoch model, the test- and train-set feature Gini of the
tap (live filters; dead ones counted apart) and a linear probe on the pooled features.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader

from gini_loss.analysis import linear_probe_accuracy, pooled_features, split_feature_gini
from gini_loss.figures import plot_filter_distributions
from shared.plots import plot_metric
from shared.results import Results
from shared.sweep import Arm, Metric, Records, Run, Sweep, run

FULL, REDUCED = "digits, full train split (1,078)", "digits, 20 train images/class (200)"


def arm(setting: str, method: str, gini: float, kl: float, per_class: int | None = None) -> Arm:
    """The default config with the two lambdas and the training-set size set."""
    overrides = (
        f"--model.init_args.lambdas_gini=[{gini}]",
        f"--model.init_args.lambdas_kl=[{kl}]",
        f"--data.init_args.train_per_class={per_class or 'null'}",
    )
    name = method if per_class is None else f"{method}, {per_class} per class"
    return Arm(method, overrides=overrides, setting=setting, name=name)


ARMS = (
    arm(FULL, "CE", 0.0, 0.0),
    arm(FULL, "CE + 0.5 Gini + 0.5 KL", 0.5, 0.5),
    arm(FULL, "CE + 1 Gini + 0.5 KL", 1.0, 0.5),
    arm(FULL, "CE + 2 Gini + 0.5 KL", 2.0, 0.5),
    arm(REDUCED, "CE", 0.0, 0.0, 20),
    arm(REDUCED, "CE + 0.5 Gini + 0.5 KL", 0.5, 0.5, 20),
)
ACC_LAST = Metric("last/test/acc", "test acc, last epoch (%)", scale=100)
ACC_BEST = Metric("best/test/acc", "test acc, best-val epoch (%)", scale=100)
GINI_TEST = Metric("gini_test", "test feature Gini x100 (live filters)", scale=100)
METRICS = (
    ACC_LAST,
    ACC_BEST,
    GINI_TEST,
    Metric("gini_train", "train feature Gini x100 (live filters)", scale=100),
    Metric("dead", "dead filters on test (of 128)", limits=(0.0, 128.0)),
    Metric("probe", "linear-probe test acc (%)"),
)


def features(run: Run) -> dict[str, Any]:
    """Feature Gini (test and train), dead filters, the linear probe and the test-set class
    distribution of every filter, all on the last-epoch model."""
    run.load_checkpoint("last")
    model, data = run.module, run.datamodule
    train, test = (DataLoader(data.datasets[split], batch_size=256) for split in ("train", "test"))
    test_gini, train_gini = split_feature_gini(model, test)[0], split_feature_gini(model, train)[0]
    return {
        "gini_test": test_gini.compute().item(),
        "gini_train": train_gini.compute().item(),
        "dead": float(test_gini.dead_filters()),
        "probe": linear_probe_accuracy(pooled_features(model, train), pooled_features(model, test)),
        "class_distribution": test_gini.class_distribution(),
    }


def paired_notes(records: Records) -> list[str]:
    """Per-seed differences (loss minus CE) of the mechanism and accuracy, for each setting."""
    seeds, notes = list(records.sweep.seeds), []
    for setting in dict.fromkeys(a.setting for a in records.sweep.arms):
        arms = [a for a in records.sweep.arms if a.setting == setting]
        base = next(a for a in arms if a.method == "CE")
        for other in (a for a in arms if a is not base):
            for metric in (GINI_TEST, ACC_BEST):
                ours, ce = (records.values(a, metric.key, seeds) for a in (other, base))
                diffs = [metric.scale * a - metric.scale * b for a, b in zip(ours, ce, strict=True)]
                shown = ", ".join(f"{d:+.2f}" for d in diffs)
                notes.append(
                    f"{setting} · {other.method} minus CE · {metric.label} per seed: {shown}"
                )
    return notes


def figures(results: Results, records: Records, out: Path) -> list[Path]:
    seed = records.sweep.seeds[0]
    panels = []
    for full in (a for a in records.sweep.arms if a.setting == FULL):
        record = records[full.key, seed]
        label = f"{full.method}\ntest feature Gini {record.values['gini_test']:.3f}"
        panels.append((label, torch.from_numpy(record.arrays["class_distribution"])))
    return [
        plot_metric(results, ACC_BEST.label, out / "accuracy.png", ylabel="test acc (%)"),
        plot_metric(results, GINI_TEST.label, out / "feature_gini.png", ylabel="feature Gini x100"),
        plot_filter_distributions(
            panels,
            out / "filter_class_distributions.png",
            f"digits test set, last epoch, seed {seed}: 128 layer4 filters x 10 classes",
        ),
    ]


SWEEP = Sweep(
    project="gini_loss",
    title="DiscErn (CE + Gini + KL on layer4) on the digits protocol, CPU scale",
    arms=ARMS,
    seeds=(0, 1, 2, 3, 4),
    metrics=METRICS,
    measure=features,
    figures=figures,
    notes=(
        "Paper numbers: n/a (the paper's tables were not available from a verifiable source; "
        "this setting is not the paper's).",
    ),
    record_notes=paired_notes,
)

if __name__ == "__main__":
    run(SWEEP)
