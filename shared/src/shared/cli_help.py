"""What ``python train.py --help`` prints, and the one-line reading of a rejected config.

The help ends with the arguments of the config's own model and data classes (type, default,
description), read by jsonargparse exactly as it reads them for parsing, instead of LightningCLI's
~500 lines of generic Trainer flags (still there with ``--help-all``).
"""

from __future__ import annotations

import re
import textwrap
from argparse import SUPPRESS
from pathlib import Path
from typing import Any

import yaml

USAGE = """\
usage: python train.py [--config FILE ...] [--resume] [--threads N] [--print_config]
                       [--KEY=VALUE ...]

Train {project}: fit, then test the last and the best-on-validation checkpoints. A run writes
runs/{project}/<config name>/version_<N>/ (metrics.json, metrics.csv, config.yaml,
checkpoints/) and ends with a table of its test metrics.

  --config FILE     a YAML config (default: configs/default.yaml); repeat to layer files
  --resume          continue the latest run of this config; refused when the config differs
  --threads N       torch intra-op threads (default: $REPRO_THREADS, else 1 under CI=true)
  --print_config    print the resolved config, every key with its value, and exit
  --KEY=VALUE       set any key, e.g. --trainer.max_epochs=5 --seed_everything=1
  --help-all        every flag, the Trainer's included (LightningCLI's full help)
"""


def config_arguments(argv: list[str]) -> list[str]:
    """The ``--config``/``-c`` files of a command line, in the order jsonargparse applies them
    (``--config X``, ``-c X`` and ``--config=X`` alike)."""
    files, take = [], False
    for arg in argv:
        if take:
            files.append(arg)
            take = False
        elif arg in ("-c", "--config"):
            take = True
        elif arg.startswith("--config="):
            files.append(arg.split("=", 1)[1])
    return files


def _config_files(project_dir: Path, argv: list[str]) -> list[Path]:
    files = config_arguments(argv)
    return [Path(f) for f in files] or [project_dir / "configs" / "default.yaml"]


def config_classes(files: list[Path]) -> list[tuple[str, str]]:
    """``(key prefix, class path)`` of the model, the data and a DataModule the data wraps, as
    the layered config files name them (later files win)."""
    merged: dict[str, str] = {}
    for path in files:
        content = yaml.safe_load(path.read_text()) if path.is_file() else None
        for role in ("model", "data"):
            section = (content or {}).get(role)
            if isinstance(section, dict) and section.get("class_path"):
                merged[role] = section["class_path"]
                inner = (section.get("init_args") or {}).get("data")
                if role == "data" and isinstance(inner, dict) and inner.get("class_path"):
                    merged["data.init_args.data"] = inner["class_path"]
    order = ("model", "data", "data.init_args.data")
    return [(role, merged[role]) for role in order if role in merged]


def _type_name(typehint: Any) -> str:
    text = getattr(typehint, "__name__", None) if isinstance(typehint, type) else None
    text = text or str(typehint)
    text = re.sub(r"<class '([\w.]+)'>", r"\1", text)
    text = re.sub(r"\b(typing|collections\.abc|builtins)\.", "", text)
    return re.sub(r"torch\.optim\.\w+\.|pytorch_lightning\.\w+\.", "", text)


CALLABLE_TYPES = {
    "Callable[[Iterable], Optimizer]": "an optimiser class (class_path + init_args)",
    "Callable[[Optimizer], LRScheduler | ReduceLROnPlateau] | None": (
        "a learning-rate schedule class (class_path + init_args) or null"
    ),
}


def _default_text(value: Any) -> str:
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    if isinstance(value, dict) and "class_path" in value:
        settings = value.get("init_args") or {}
        shown = ", ".join(f"{k}={v!r}" for k, v in settings.items())
        return f"{value['class_path']}({shown})"
    return repr(value)


def class_arguments(class_path: str) -> list[tuple[str, str, str, str]]:
    """``(argument, type, default, description)`` of a class's ``__init__`` as jsonargparse
    sees it (``**kwargs`` forwarded to a parent included, dataclass fields flattened)."""
    from jsonargparse import ArgumentParser
    from jsonargparse._actions import _ActionConfigLoad
    from jsonargparse._util import import_object

    parser = ArgumentParser(exit_on_error=False)
    parser.add_class_arguments(import_object(class_path), "x", sub_configs=True)
    rows = []
    for action in parser._actions:
        if not action.dest.startswith("x.") or isinstance(action, _ActionConfigLoad):
            continue
        if action.default == SUPPRESS:
            continue
        typename = _type_name(getattr(action, "_typehint", None))
        typename = CALLABLE_TYPES.get(typename, typename)
        rows.append((action.dest[2:], typename, _default_text(action.default), action.help or ""))
    return rows


def help_text(project_dir: Path, argv: list[str]) -> str:
    """The short help, ending with the arguments of the config's model and data classes."""
    files = _config_files(project_dir, argv)
    lines = [USAGE.format(project=project_dir.name)]
    shown = ", ".join(
        str(f.relative_to(project_dir) if f.is_relative_to(project_dir) else f) for f in files
    )
    for role, class_path in config_classes(files):
        lines.append(f"{role}: {class_path}  (from {shown}; set with --{role}.init_args.<name>)")
        for name, typehint, default, description in class_arguments(class_path):
            if role == "model" and name == "num_classes":
                description = "set from the DataModule's class count by the CLI"
            lines.append(f"  {name}: {typehint} = {default}")
            for chunk in textwrap.wrap(" ".join(description.split()), 92):
                lines.append(f"      {chunk}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _parse_tree(text: str) -> dict[str, dict[str, list[str]]]:
    """Per dotted key of a nested jsonargparse report: its leaf errors, union subtypes and the
    value given (``{"errors": [...], "subtypes": [...], "given": [...]}``)."""
    stack: list[tuple[int, str]] = []
    found: dict[str, dict[str, list[str]]] = {}
    for raw in text.splitlines():
        if not raw.strip():
            continue
        indent = len(raw) - len(raw.lstrip(" -"))
        line = raw.strip().lstrip("- ").strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        key = ".".join(part for _, part in stack)
        entry = found.setdefault(key, {"errors": [], "subtypes": [], "given": []})
        if match := re.match(r'Parser key "([^"]+)"', line):
            stack.append((indent, match.group(1)))
        elif line.startswith("Problem with given class_path"):
            stack.append((indent, "init_args"))
        elif line.startswith("Subtypes:"):
            entry["subtypes"].append(line.removeprefix("Subtypes:").strip())
        elif line.startswith("Given value:"):
            entry["given"].append(line.removeprefix("Given value:").strip())
        elif (
            line.startswith(("Expected a", "Not a valid", "Invalid", "Unexpected"))
            or "Got value" in line
        ):
            entry["errors"].append(line)
    return {k: v for k, v in found.items() if k and (v["errors"] or v["subtypes"])}


def _expected(typehint: str) -> str:
    """A type as a user writes it: ``Literal['a', 'b']`` -> ``one of 'a', 'b'``."""
    if choices := re.fullmatch(r"(?:typing\.)?Literal\[(.*)\]", typehint.strip()):
        return f"one of {choices.group(1)}"
    text = _type_name(typehint.strip())
    return "null" if text in ("NoneType", "None") else text


def _split_types(listed: str) -> list[str]:
    """``[A, B[x, y], C]`` -> ``["A", "B[x, y]", "C"]`` (commas inside brackets kept)."""
    parts, depth, current = [], 0, ""
    for char in listed.strip().removeprefix("[").removesuffix("]"):
        if char in "[(":
            depth += 1
        elif char in "])":
            depth -= 1
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p.strip() for p in [*parts, current] if p.strip()]


def explain_parse_error(error: Exception) -> str:
    """Reduce jsonargparse's nested report to the one fact the user must fix."""
    text = str(error)
    if found := re.search(r"Config field `[^`]+` is .*?, expected [^\n]*", text):
        return found.group(0)
    unknown = re.findall(r"Option '([^']+)' is not accepted|No action for key \"?([\w.]+)", text)
    keys = sorted({key for pair in unknown for key in pair if key})
    if keys:
        return f"unknown config key(s) {', '.join(f'`{k}`' for k in keys)}."
    tree = _parse_tree(text)
    if tree:
        key = max(tree, key=lambda k: k.count("."))
        entry = tree[key]
        given = entry["given"][-1] if entry["given"] else None
        if entry["subtypes"]:
            expected = " or ".join(_expected(t) for t in _split_types(entry["subtypes"][-1]))
        else:
            leaf = entry["errors"][-1]
            got = re.search(r"Got value: (.*)$", leaf)
            given = given or (got.group(1).strip() if got else None)
            wanted = re.search(r"Expected a (.*?)(?:\. Got value:|$)", leaf)
            expected = _expected(wanted.group(1)) if wanted else leaf
        shown = f"is {given!r}" if given is not None else "is not valid"
        return f"Config field `{key}` {shown}, expected {expected}."
    return text.strip().splitlines()[0] if text.strip() else repr(error)
