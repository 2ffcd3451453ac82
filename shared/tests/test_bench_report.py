"""README tables of bench and GPU-check figures, rendered from small hand-written files."""

import json

import pytest

from shared.readme import RENDERERS, render_sections


def _record(name, value, interval, low, high, verdict, threads, load, **extra):
    return {
        "project": "demo",
        "name": name,
        "value": value,
        "unit": "x",
        "low": low,
        "high": high,
        "interval": interval,
        "machine": {"threads": threads, "load_avg_1m": load},
        "detail": extra.pop("detail", ""),
        "verdict": verdict,
        **extra,
    }


def _write_run(folder, file, date, commit, dirty, records):
    machine = {"cpu": "Test CPU", "cores": 2, "gpu": None, "torch": "9.9"}
    stamp = {"commit": commit, "dirty": dirty, "date": date, "machine": machine}
    (folder / file).write_text(json.dumps({"project": "demo", "stamp": stamp, "records": records}))


@pytest.fixture
def results(tmp_path, monkeypatch):
    monkeypatch.setenv("RESULTS_ROOT", str(tmp_path))
    return tmp_path


def test_bench_renders_one_row_per_record_and_run_grouped_by_benchmark(results):
    folder = results / "bench" / "demo"
    folder.mkdir(parents=True)
    step = {"target_label": "<= 1.05", "rates": {"A": 4000.4, "B": 3800.6}}
    # Written in the opposite order of their dates: the table sorts by the stamp's date.
    _write_run(
        folder,
        "2030-01-03-bbbbbbb.json",
        "2030-01-03T10:00:00+00:00",
        "bbbbbbbbbb",
        True,
        [_record("step", 1.07, [1.055, 1.09], 0.9, 1.2, "missed", 2, 0.5, **step)],
    )
    _write_run(
        folder,
        "2030-01-02-aaaaaaa.json",
        "2030-01-02T09:30:00+00:00",
        "aaaaaaaaaa",
        False,
        [
            _record("control 1e-8*x", 1.0, [0.99, 1.01], 0.8, 1.3, None, 1, 1.25, detail="CE / CE"),
            _record("step", 1.04, [1.02, 1.06], 0.9, 1.2, "unresolved", 1, 1.25, **step),
        ],
    )
    table = RENDERERS["bench"]("demo")
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line]
    assert rows[1:] == [
        "| control 1e-8\\*x | 2030-01-02 09:30 | `aaaaaaa` | 1.000 x | 0.990-1.010 | 0.800-1.300 |  |  "
        "|  | 1 | 1.25 |",
        "| step | 2030-01-02 09:30 | `aaaaaaa` | 1.040 x | 1.020-1.060 | 0.900-1.200 | <= 1.05 | "
        "unresolved | A 4000 / B 3801 | 1 | 1.25 |",
        "| step | 2030-01-03 10:00 | `bbbbbbb`\\* | 1.070 x | 1.055-1.090 | 0.900-1.200 | <= 1.05 | "
        "missed | A 4000 / B 3801 | 2 | 0.5 |",
    ]
    assert "- control 1e-8\\*x: CE / CE" in table  # Markdown-escaped
    assert "2 runs of `make bench`" in table and "Test CPU (2 cores), GPU: none, torch 9.9" in table
    assert "\\* the project's code or the harness differed from the commit" in table


def test_bench_and_gpu_without_files_say_how_to_make_them(results):
    assert "`make bench` writes `results/bench/demo/" in RENDERERS["bench"]("demo")
    assert "`make gpu-check` on a CUDA machine writes `results/gpu/demo.json`" in RENDERERS["gpu"](
        "demo"
    )


def test_gpu_renders_the_stamp_and_every_row(results):
    (results / "gpu").mkdir()
    stamp = {
        "commit": "cccccccccc",
        "dirty": None,
        "date": "2030-02-01T00:00:00+00:00",
        "card": "Fake H200",
        "torch": "2.11",
        "cuda": "13.0",
    }
    rows = [
        {
            "project": "demo",
            "check": "step",
            "value": 8.891,
            "unit": "ms/step",
            "detail": "batch 64",
        },
        {
            "project": "demo",
            "check": "ratio",
            "value": 1.088,
            "unit": "x",
            "detail": "21 rounds",
            "low": 0.936,
            "high": 1.227,
            "interval": [1.05, 1.12],
            "target_label": "<= 1.02",
            "verdict": "missed",
            "rates": {"A": 9867.2, "B": 9187.6},
        },
    ]
    data = {"project": "demo", "stamp": stamp, "status": "ok", "seconds": 21.0, "rows": rows}
    (results / "gpu" / "demo.json").write_text(json.dumps(data))
    text = render_sections("<!-- generated: gpu demo -->\nold\n<!-- end generated -->\n")
    assert text.splitlines() == [
        "<!-- generated: gpu demo -->",
        "`python3 tools/gpu_check.py` on one **Fake H200** (torch 2.11, CUDA 13.0), commit "
        "`ccccccc`, 2030-02-01: ok (21.0 s).",
        "",
        "| check | value | 95 % interval | min-max | target | verdict | detail |",
        "|---|---|---|---|---|---|---|",
        "| step | 8.891 ms/step |  |  |  |  | batch 64 |",
        "| ratio | 1.088 x | 1.050-1.120 | 0.936-1.227 | <= 1.02 | missed | A 9867 / B 9188; 21 rounds |",
        "<!-- end generated -->",
    ]
