"""The one runner of every reproduction: arms x seeds through the training CLI, one record per run.

A project's ``reproduce.py`` declares a :class:`Sweep` (its arms, seeds, metrics, a ``measure``
hook, its figures and notes) and ends with ``if __name__ == "__main__": run(SWEEP)``; it holds no
argument parsing, seed loop, stamping or writing. The runner:

- runs the arms seed by seed (seeds outermost, so an interrupted sweep compares like with
  like), printing one line per run with the time it took, the time elapsed and an estimate of
  the time left, with Lightning's known-harmless messages silenced (:mod:`shared.quiet`);
- calls ``measure`` with the fitted module and its run folder before the run's checkpoints are
  deleted (``KEEP_CHECKPOINTS=1`` keeps them), and writes everything the tables and figures need
  into ``results/<name>/records/<arm>/seed<k>.json`` (arrays beside it, ``.npz``);
- keys each record by arm, seed, the resolved config and a fingerprint of the project's code, so
  an interrupted ``make reproduce-<name>`` continues where it stopped, while records made by
  other code or another config are refused (``OVERWRITE=1`` starts over);
- writes ``results.json`` / ``results.md`` (stamped with every commit its runs came from) and
  the figures, all from the records, so a resumed sweep draws exactly the same figures.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from shared.errors import ConfigError
from shared.machine import describe_machine, machine_label
from shared.paths import repo_root, results_root
from shared.provenance import (
    code_fingerprint,
    code_paths,
    head_commit,
    relative_to_repo,
    tree_dirty,
)
from shared.results import (
    Cell,
    CellView,
    Measurement,
    PaperValue,
    ResultRow,
    Results,
    Stamp,
    write_results,
)
from shared.runtime import THREADS_ENV

OVERWRITE_ENV, KEEP_CHECKPOINTS_ENV = "OVERWRITE", "KEEP_CHECKPOINTS"


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in ("", "0", "false", "False")


@dataclass(frozen=True)
class Arm:
    """One method of a reproduction: its config files (in ``configs/``, layered in order), the
    command-line overrides, its seeds (default: the sweep's) and the table's setting.

    ``train=False`` marks an arm that trains nothing (a baseline): ``measure`` alone makes its
    numbers, given the DataModule its config builds (seeded with the run's seed; the config's
    other classes are built too). ``outputs`` maps several table methods to
    value-key prefixes of one run (one training scored several ways); default: the arm itself.
    ``name`` identifies the arm's records (default: the method), for two arms that show the
    same method in different settings.
    """

    method: str
    configs: tuple[str, ...] = ("default.yaml",)
    overrides: tuple[str, ...] = ()
    seeds: tuple[int, ...] | None = None
    setting: str | None = None
    train: bool = True
    outputs: Mapping[str, str] | None = None
    name: str | None = None

    @property
    def key(self) -> str:
        """What the arm's records are filed under: ``name``, else the method."""
        return self.name or self.method

    @property
    def slug(self) -> str:
        """The arm's folder name: its key, lower-case, non-alphanumerics as ``-``."""
        return re.sub(r"[^a-z0-9]+", "-", self.key.lower()).strip("-")

    def methods(self) -> dict[str, str]:
        return dict(self.outputs or {self.method: ""})


@dataclass(frozen=True)
class Metric:
    """A column of the results table: the record value ``key`` times ``scale``, shown as
    ``label``; ``limits`` is the metric's range (figures never run past it)."""

    key: str
    label: str
    scale: float = 1.0
    limits: tuple[float, float] = (0.0, 100.0)


@dataclass
class Run:
    """What ``measure`` receives: the arm, the seed and, for a trained arm, the CLI that fitted
    and tested it (module, data, trainer), its run folder and its ``metrics.json`` summary."""

    arm: Arm
    seed: int
    cli: Any = None
    summary: dict[str, Any] | None = None
    datamodule: Any = None

    @property
    def module(self) -> Any:
        return self.cli.model if self.cli is not None else None

    @property
    def run_dir(self) -> Path | None:
        return Path(self.summary["run_dir"]) if self.summary else None

    def epoch_curve(self, key: str) -> list[float]:
        """``key`` after each epoch, from the run's ``metrics.csv`` (Lightning's CSV logger)."""
        import csv

        with (self.run_dir / "metrics.csv").open() as handle:
            rows = [r for r in csv.DictReader(handle) if r.get(key)]
        return [float(r[key]) for r in sorted(rows, key=lambda r: int(r["epoch"]))]

    def load_checkpoint(self, which: str = "last") -> None:
        """Load the ``last`` (or ``best``) checkpoint's weights into the module."""
        import torch

        name = "last.ckpt" if which == "last" else self.summary["best_checkpoint"]
        state = torch.load(
            self.run_dir / "checkpoints" / name, map_location="cpu", weights_only=False
        )
        self.module.load_state_dict(state["state_dict"])


@dataclass
class Record:
    """One finished run as stored: its key, provenance, values and figure data."""

    arm: str
    seed: int
    config_hash: str
    code: str
    commit: str
    dirty: bool
    date: str
    wall_time_s: float
    machine: dict[str, Any]
    run_dir: str | None
    values: dict[str, float]
    extras: dict[str, Any] = field(default_factory=dict)
    arrays: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = {k: v for k, v in asdict(self).items() if k != "arrays"}
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        if self.arrays:
            np.savez_compressed(path.with_suffix(".npz"), **self.arrays)
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> Record:
        data = json.loads(path.read_text())
        arrays_path = path.with_suffix(".npz")
        if arrays_path.is_file():
            with np.load(arrays_path) as stored:
                data["arrays"] = {k: stored[k] for k in stored.files}
        return cls(**data)


class Records:
    """The records of a sweep, looked up by arm key (:attr:`Arm.key`) and seed; ``sweep`` is the declaration
    they were run for (its arms and seeds, which a figure iterates)."""

    def __init__(self, sweep: Sweep, records: Mapping[tuple[str, int], Record]) -> None:
        self.sweep, self.by_key = sweep, dict(records)

    def __getitem__(self, key: tuple[str, int]) -> Record:
        return self.by_key[key]

    def values(self, arm: Arm, key: str, seeds: Sequence[int]) -> list[float]:
        """``key`` of every seed's record of ``arm``, in seed order."""
        missing = [s for s in seeds if key not in self.by_key[arm.key, s].values]
        if missing:
            found = sorted(self.by_key[arm.key, missing[0]].values)
            raise KeyError(f"{arm.key} seed {missing[0]} recorded no {key!r} (it has {found})")
        return [self.by_key[arm.key, s].values[key] for s in seeds]


@dataclass(frozen=True)
class Sweep:
    """A reproduction: arms x seeds, the metrics of its table, and what else it reports.

    ``measure(run) -> {name: value}`` adds numbers (floats go to the record's values, numpy
    arrays beside it, anything else JSON-able to its extras); ``figures(results, records, out)``
    draws from the records and returns the files; ``notes`` are fixed lines and
    ``record_notes(records)`` lines computed from the records (e.g. paired differences).
    A run's breakdown goes under the ``measure`` key ``cells``: a list of ``{coords, values,
    ci95}`` dicts, which become the results' :class:`~shared.results.Cell` s (with the run's
    seed and provenance); ``views`` render some of them as Markdown matrices.
    ``paper`` maps ``(setting, method, metric label)`` to the paper's number with its source.
    """

    project: str
    title: str
    arms: Sequence[Arm]
    seeds: Sequence[int]
    metrics: Sequence[Metric]
    setting: str = ""
    name: str | None = None
    command: str | None = None
    measure: Callable[[Run], Mapping[str, Any]] | None = None
    figures: Callable[[Results, Records, Path], list[Path]] | None = None
    notes: Sequence[str] = ()
    record_notes: Callable[[Records], list[str]] | None = None
    views: Sequence[CellView] = ()
    paper: Mapping[tuple[str, str, str], PaperValue] = field(default_factory=dict)
    project_root: Path | None = None

    def __post_init__(self) -> None:
        keys = [arm.key for arm in self.arms]
        if repeated := sorted({k for k in keys if keys.count(k) > 1}):
            raise ValueError(f"arms {repeated} appear twice: give them distinct `name`s")
        slugs = [arm.slug for arm in self.arms]
        if len(set(slugs)) < len(slugs):
            raise ValueError(f"arm folders {slugs} collide: give the arms distinct `name`s")

    @property
    def results_name(self) -> str:
        return self.name or self.project

    @property
    def run_command(self) -> str:
        """The command that runs this sweep (``make reproduce-<project>`` unless declared)."""
        return self.command or f"make reproduce-{self.project}"

    @property
    def project_dir(self) -> Path:
        """``projects/<project>`` (``project_root`` points elsewhere, for tests)."""
        return self.project_root or repo_root() / "projects" / self.project

    def run_name(self, arm: Arm) -> str:
        """The arm's run folder under ``runs/<project>/``: its slug, prefixed with the sub-study
        (``stress-conventional``) so two sweeps of one project never share one."""
        study = self.results_name.partition("/")[2].replace("/", "-")
        return f"{study}-{arm.slug}" if study else arm.slug

    def seeds_of(self, arm: Arm) -> list[int]:
        return list(arm.seeds if arm.seeds is not None else self.seeds)

    def jobs(self) -> list[tuple[Arm, int]]:
        """Every (arm, seed), seeds outermost."""
        order = list(dict.fromkeys(s for arm in self.arms for s in self.seeds_of(arm)))
        return [(arm, s) for s in order for arm in self.arms if s in self.seeds_of(arm)]


class SweepRefused(RuntimeError):
    """Existing records that this sweep must not mix with (other code or config)."""


def _arm_args(sweep: Sweep, arm: Arm, seed: int) -> list[str]:
    args = []
    for config in arm.configs:
        args += ["--config", str(sweep.project_dir / "configs" / config)]
    args += [
        f"--seed_everything={seed}",
        "--trainer.enable_progress_bar=false",
        "--trainer.enable_model_summary=false",
        *arm.overrides,
    ]
    return args


def _resolve(sweep: Sweep, arm: Arm) -> tuple[str, Any]:
    """``(hash of the arm's resolved config without its seed, the parse-only CLI)``."""
    from shared.cli import ReproCLI

    if not arm.configs:
        return hashlib.sha256(repr(arm).encode()).hexdigest(), None
    cli = ReproCLI(
        sweep.project, sweep.run_name(arm), instantiate=False, args=_arm_args(sweep, arm, 0)
    )
    config = cli.comparable_config()
    if config.pop("seed_everything") != 0:
        raise ConfigError(
            f"{arm.key}: seed_everything", "set by the arm", "no seed in an arm's overrides",
            "A sweep gives every run its seed; list seeds in the arm's `seeds` instead.",
        )  # fmt: skip
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest(), cli


def _split_measures(measured: Mapping[str, Any]) -> tuple[dict, dict, dict]:
    import torch

    values, arrays, extras = {}, {}, {}
    for key, value in measured.items():
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
            if isinstance(value, torch.Tensor):
                value = value.detach().cpu().numpy()
            (arrays if isinstance(value, np.ndarray) else extras)[key] = value
        else:
            values[key] = float(value)
    return values, arrays, extras


def _summary_values(summary: dict[str, Any]) -> dict[str, float]:
    return {
        f"{which}/{k}": float(v) for which in ("last", "best") for k, v in summary[which].items()
    }


def _record_path(out: Path, arm: Arm, seed: int) -> Path:
    return out / "records" / arm.slug / f"seed{seed}.json"


def _existing(out: Path) -> list[Record]:
    folder = out / "records"
    return [Record.load(p) for p in sorted(folder.glob("*/seed*.json"))] if folder.is_dir() else []


def _clear(out: Path) -> None:
    """What ``OVERWRITE=1`` replaces: the records, tables and top-level figures (sub-studies in
    sub-folders are left alone)."""
    shutil.rmtree(out / "records", ignore_errors=True)
    for path in out.glob("*"):
        if path.is_file() and path.suffix in (".json", ".md", ".png"):
            path.unlink()


def _check_existing(sweep: Sweep, out: Path, keys: dict[tuple[str, int], str], code: str) -> dict:
    """The reusable records by (arm key, seed); refuses records of other code or config."""
    existing = _existing(out)
    if (out / "results.json").exists() and not existing:
        raise SweepRefused(
            f"{relative_to_repo(out)} holds a reproduction without per-run records (made before "
            f"records existed). `{sweep.run_command} OVERWRITE=1` replaces it."
        )
    problems, kept = [], {}
    for record in existing:
        key = (record.arm, record.seed)
        if key not in keys:
            problems.append(f"{record.arm} seed {record.seed} is not part of this sweep")
        elif record.code != code:
            problems.append(
                f"{record.arm} seed {record.seed} was made at {record.commit[:10]} by other code"
            )
        elif record.config_hash != keys[key]:
            problems.append(f"{record.arm} seed {record.seed} was made with another config")
        else:
            kept[key] = record
    if problems:
        shown = "; ".join(problems[:4]) + (
            f"; and {len(problems) - 4} more" if len(problems) > 4 else ""
        )
        raise SweepRefused(
            f"{relative_to_repo(out / 'records')} holds runs this sweep cannot continue: {shown}. "
            f"`{sweep.run_command} OVERWRITE=1` starts over (move the folder away "
            "first to keep it)."
        )
    return kept


def _clock(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _train(sweep: Sweep, arm: Arm, seed: int) -> tuple[Run, dict[str, float]]:
    from shared.cli import ReproCLI

    cli = ReproCLI(sweep.project, sweep.run_name(arm), args=_arm_args(sweep, arm, seed))
    summary = cli.fit_and_test()
    return Run(arm, seed, cli, summary, cli.datamodule), _summary_values(summary)


def _baseline(arm: Arm, seed: int, parsed: Any) -> Run:
    from shared import runtime

    datamodule = None
    runtime.seed_everything(seed)
    if parsed is not None:
        datamodule = parsed.parser.instantiate_classes(parsed.config).data
    return Run(arm, seed, datamodule=datamodule)


def _run_one(sweep: Sweep, arm: Arm, seed: int, config_hash: str, code: str, parsed: Any) -> Record:
    start = time.perf_counter()
    if arm.train:
        run, values = _train(sweep, arm, seed)
    else:
        run, values = _baseline(arm, seed, parsed), {}
    measured = dict(sweep.measure(run)) if sweep.measure else {}
    more, arrays, extras = _split_measures(measured)
    if run.run_dir is not None and not _flag(KEEP_CHECKPOINTS_ENV):
        shutil.rmtree(run.run_dir / "checkpoints", ignore_errors=True)
    return Record(
        arm=arm.key,
        seed=seed,
        config_hash=config_hash,
        code=code,
        commit=head_commit(),
        dirty=tree_dirty(code_paths(sweep.project)),
        date=datetime.now(UTC).isoformat(timespec="seconds"),
        wall_time_s=round(time.perf_counter() - start, 1),
        machine=describe_machine(),
        run_dir=relative_to_repo(run.run_dir) if run.run_dir else None,
        values={**values, **more},
        extras=extras,
        arrays=arrays,
    )


def _cells(record: Record) -> list[Cell]:
    """The record's breakdown (``measure``'s ``cells``) with its seed and provenance."""
    run = {
        "arm": record.arm,
        "config_hash": record.config_hash[:12],
        "git_commit": record.commit,
        "wall_seconds": record.wall_time_s,
        "machine": machine_label(record.machine),
    }
    return [
        Cell(c["coords"], record.seed, c["values"], c.get("ci95", {}), run)
        for c in record.extras.get("cells", [])
    ]


def build_results(sweep: Sweep, records: Records) -> Results:
    """The results table and its stamp, from the records alone."""
    rows = []
    for arm in sweep.arms:
        seeds = sweep.seeds_of(arm)
        setting = arm.setting or sweep.setting
        for method, prefix in arm.methods().items():
            for metric in sweep.metrics:
                values = [metric.scale * v for v in records.values(arm, prefix + metric.key, seeds)]
                paper = sweep.paper.get((setting, method, metric.label), PaperValue())
                rows.append(
                    ResultRow(
                        setting, method, metric.label, Measurement.from_values(values, seeds), paper
                    )
                )
    all_records = list(records.by_key.values())
    commits = list(dict.fromkeys(r.commit for r in sorted(all_records, key=lambda r: r.date)))
    machines = list(dict.fromkeys(machine_label(r.machine) for r in all_records))
    machine = dict(all_records[-1].machine)
    if len(machines) > 1:
        machine["note"] = "runs on several machines: " + "; ".join(machines)
    stamp = Stamp(
        git_commit=commits[-1],
        git_dirty=any(r.dirty for r in all_records),
        command=sweep.run_command,
        seeds=list(sweep.seeds),
        date=max(r.date for r in all_records),
        machine=machine,
        wall_time_s=round(sum(r.wall_time_s for r in all_records), 1),
        run_commits=commits,
    )
    notes = [*sweep.notes, *(sweep.record_notes(records) if sweep.record_notes else [])]
    cells = [c for arm, seed in sweep.jobs() for c in _cells(records[arm.key, seed])]
    return Results(
        sweep.project, sweep.title, rows, stamp, notes, cells=cells, views=list(sweep.views)
    )


def run(sweep: Sweep) -> Results:
    """Run (or continue) ``sweep`` and write ``results/<name>/``; see the module docstring."""
    from shared.cli import user_error, user_error_in_chain
    from shared.quiet import quiet_lightning

    os.environ.setdefault(THREADS_ENV, "1")  # one thread: bit-for-bit repeatable CPU runs
    out = results_root() / sweep.results_name
    try:
        code = code_fingerprint(sweep.project)
        with quiet_lightning(info=False):
            resolved = {arm.key: _resolve(sweep, arm) for arm in sweep.arms}
            keys = {(arm.key, s): resolved[arm.key][0] for arm, s in sweep.jobs()}
            if _flag(OVERWRITE_ENV):  # only once every arm's config has resolved
                _clear(out)
            kept = _check_existing(sweep, out, keys, code)
            jobs = [(arm, s) for arm, s in sweep.jobs() if (arm.key, s) not in kept]
            print(
                f"{sweep.results_name}: {len(keys)} runs, {len(kept)} recorded earlier in "
                f"{relative_to_repo(out / 'records')}, {len(jobs)} to run",
                flush=True,
            )
            start = time.perf_counter()
            for index, (arm, seed) in enumerate(jobs, start=1):
                config_hash, parsed = resolved[arm.key]
                record = _run_one(sweep, arm, seed, config_hash, code, parsed)
                record.save(_record_path(out, arm, seed))
                elapsed = time.perf_counter() - start
                left = elapsed / index * (len(jobs) - index)
                print(
                    f"[{sweep.results_name} {len(kept) + index}/{len(keys)}] {arm.key} · seed "
                    f"{seed} · {record.wall_time_s:.0f} s · elapsed {_clock(elapsed)} · about "
                    f"{_clock(left)} left",
                    flush=True,
                )
    except SweepRefused as error:
        user_error(str(error))
    except Exception as error:
        if (cause := user_error_in_chain(error)) is None:
            raise
        user_error(str(cause))
    # the tables and figures are made from the stored records, exactly as a later resume would
    arms = {arm.key: arm for arm in sweep.arms}
    stored = {(m, s): Record.load(_record_path(out, arms[m], s)) for m, s in keys}
    ordered = Records(sweep, stored)
    results = build_results(sweep, ordered)
    written = write_results(results, out)
    if sweep.figures:
        written += sweep.figures(results, ordered, out)
    print(results.to_markdown())
    print("wrote " + ", ".join(relative_to_repo(p) for p in written), flush=True)
    return results
