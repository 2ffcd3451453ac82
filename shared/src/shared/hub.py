"""Pretrained weights named by a Hugging Face hub id: found in the local cache, or a fast, clear
error when the hub cannot be reached, instead of a library's half-minute of retries.

One entry point for transformers, diffusers, timm and open_clip::

    source = require_pretrained(name, library="transformers", field="model.backbone.pretrained")
    model = SomeModel.from_pretrained(source)

- a local file or folder is returned as a :class:`~pathlib.Path`, as is, never looked up (timm and
  open_clip take a local weights file through their own options, e.g. timm's
  ``pretrained_cfg_overlay=dict(file=...)``, open_clip's ``pretrained=<file>``);
- a hub id whose snapshot (with a weights file) is in the local cache: transformers and diffusers
  get the snapshot folder (they load it like any local folder, with no network call); timm and
  open_clip get their own spelling of the name, and :func:`load_pretrained` (or
  :func:`hub_cache_only` around the call) keeps huggingface_hub off the network while they load;
- a hub id that is not cached: with ``HF_HUB_OFFLINE=1``, or when the endpoint (``HF_ENDPOINT``,
  default https://huggingface.co) does not answer a ``HEAD`` request within 2 s, a
  :class:`~shared.errors.ConfigError` naming the cache folder searched and the ``hf download``
  command; otherwise the library's own spelling of the id is returned and the library downloads
  it as it always does.

The cache folder is resolved from the environment at call time, in huggingface_hub's order:
``HF_HUB_CACHE``, ``HUGGINGFACE_HUB_CACHE``, ``$HF_HOME/hub``, ``$XDG_CACHE_HOME/huggingface/hub``,
``~/.cache/huggingface/hub``.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from shared.errors import ConfigError

Library = Literal["transformers", "diffusers", "timm", "open_clip"]
LIBRARIES: tuple[str, ...] = ("transformers", "diffusers", "timm", "open_clip")
DEFAULT_ENDPOINT = "https://huggingface.co"
REACH_TIMEOUT_S = 2.0
HF_HUB_PREFIX = "hf-hub:"
# A snapshot counts as holding weights when it (or its subfolder) has a file with one of these.
WEIGHT_SUFFIXES = frozenset(
    {".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".h5", ".msgpack", ".npz", ".onnx", ".gguf"}
)
_TRUE = {"1", "ON", "YES", "TRUE"}
_REPO_PART = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_REPO_ID = re.compile(rf"(?:{_REPO_PART}/)?{_REPO_PART}")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_T = TypeVar("_T")


# ------------------------------------------------------------------ environment


def hub_cache_dir() -> Path:
    """The hub cache folder huggingface_hub would use, resolved from the environment now."""
    return _cache_dir_and_origin()[0]


def _expand(path: str) -> Path:
    return Path(os.path.expandvars(os.path.expanduser(path)))


def _cache_dir_and_origin() -> tuple[Path, str]:
    for variable in ("HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE"):
        if variable in os.environ:
            return _expand(os.environ[variable]), variable
    if "HF_HOME" in os.environ:
        return _expand(os.environ["HF_HOME"]) / "hub", "HF_HOME"
    if "XDG_CACHE_HOME" in os.environ:
        return _expand(os.environ["XDG_CACHE_HOME"]) / "huggingface" / "hub", "XDG_CACHE_HOME"
    return _expand("~/.cache/huggingface/hub"), "the default"


def hub_offline() -> bool:
    """``HF_HUB_OFFLINE`` (or, when it is unset, ``TRANSFORMERS_OFFLINE``) is 1/ON/YES/TRUE."""
    return _offline_variable() is not None


def _offline_variable() -> str | None:
    for variable in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        if os.environ.get(variable):  # huggingface_hub reads the first one that is non-empty
            return variable if os.environ[variable].upper() in _TRUE else None
    return None


def hub_endpoint() -> str:
    """``HF_ENDPOINT`` without its trailing slash, default https://huggingface.co."""
    return os.environ.get("HF_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")


def hub_reachable(endpoint: str | None = None, timeout: float = REACH_TIMEOUT_S) -> bool:
    """Whether the endpoint answers a ``HEAD`` request within ``timeout`` seconds."""
    return _unreachable_because(endpoint or hub_endpoint(), timeout) is None


def _unreachable_because(endpoint: str, timeout: float) -> str | None:
    """``None`` when ``endpoint`` answers a ``HEAD`` (any HTTP status) within ``timeout`` seconds,
    else why not. The request goes through huggingface_hub's own HTTP session, so its proxies,
    certificates and offline switch are the ones the libraries' downloads use; one try, no retry."""
    from huggingface_hub.utils import get_session  # imported outside the timed window

    outcome: list[str | None] = []

    def ask() -> None:
        try:
            get_session().head(endpoint, timeout=timeout)
            outcome.append(None)
        except Exception as error:  # whatever the HTTP stack raises means: no answer
            outcome.append(f"{type(error).__name__}: {error}")

    # A thread bounds the whole exchange, name lookup included (it has no timeout of its own).
    worker = threading.Thread(target=ask, name="hub-reachable", daemon=True)
    worker.start()
    worker.join(timeout)
    return outcome[0] if outcome else f"no answer in {timeout:g} s"


# ------------------------------------------------------------------ names


def hub_repo_id(name: str, library: Library) -> str | None:
    """The hub repository a library's model name lives in, or ``None`` when the name alone does not
    say (a timm architecture without its pretrained tag, an open_clip architecture name).

    transformers, diffusers: the repo id itself (``microsoft/cvt-13``); timm: ``arch.tag`` lives in
    ``timm/arch.tag``, ``hf-hub:org/repo`` in ``org/repo``; open_clip: ``hf-hub:org/repo``."""
    _check_library(library)
    if name.startswith(HF_HUB_PREFIX):
        if library in ("timm", "open_clip"):
            repo = name.removeprefix(HF_HUB_PREFIX)
            return repo if "/" in repo and _valid_repo_id(repo) else None
        return None
    if not _valid_repo_id(name):
        return None
    if library == "timm":
        if "/" in name:
            return name
        return f"timm/{name}" if "." in name else None
    if library == "open_clip":
        return name if "/" in name else None
    return name


def library_name(repo_id: str, library: Library, given: str | None = None) -> str:
    """What to hand the library to download ``repo_id`` from the hub: the repo id (transformers,
    diffusers), ``hf-hub:<repo>`` (open_clip, and timm outside the timm org), or timm's own name
    when the repo is ``timm/<name>`` and that is how it was given."""
    _check_library(library)
    if library == "open_clip":
        return HF_HUB_PREFIX + repo_id
    if library == "timm":
        bare = repo_id.removeprefix("timm/")
        if repo_id.startswith("timm/") and given == bare:
            return bare
        return HF_HUB_PREFIX + repo_id
    return repo_id


def download_command(repo_id: str, revision: str | None = None, cli: str = "hf") -> str:
    """The command that fetches ``repo_id`` into a machine's hub cache (``cli="huggingface-cli"``
    for huggingface_hub before 0.34)."""
    command = f"{cli} download {repo_id}"
    return command + (f" --revision {revision}" if revision else "")


def _check_library(library: str) -> None:
    if library not in LIBRARIES:
        raise ValueError(f"library must be one of {LIBRARIES}, not {library!r}")


def _valid_repo_id(name: str) -> bool:
    return (
        len(name) <= 96
        and _REPO_ID.fullmatch(name) is not None
        and "--" not in name
        and ".." not in name
        and not name.endswith((".", "-"))
    )


def _looks_like_path(name: str) -> bool:
    return (
        name.startswith(("/", ".", "~", "\\"))
        or "\\" in name
        or name.count("/") > 1
        or (":" in name and not name.startswith(HF_HUB_PREFIX))
        or Path(name).suffix in WEIGHT_SUFFIXES | {".json", ".yaml", ".yml"}
    )


# ------------------------------------------------------------------ the cache


def repo_folder_name(repo_id: str) -> str:
    """``models--<org>--<name>``: the folder huggingface_hub keeps a model repo in."""
    return "--".join(["models", *repo_id.split("/")])


def repo_cache_folder(repo_id: str, cache_dir: Path | None = None) -> Path:
    """``<cache>/models--<org>--<name>``."""
    return (cache_dir or hub_cache_dir()) / repo_folder_name(repo_id)


def cached_snapshot(
    repo_id: str, revision: str | None = None, cache_dir: Path | None = None
) -> Path | None:
    """The cached snapshot folder of ``repo_id`` at ``revision`` (a branch or tag, read through
    ``refs/<revision>``, or a 40-hex commit), or ``None``. Reads the disk only."""
    folder = repo_cache_folder(repo_id, cache_dir)
    revision = revision or "main"
    commit = revision
    if not _COMMIT.fullmatch(revision):
        ref = folder / "refs" / revision
        if not ref.is_file():
            return None
        commit = ref.read_text().strip()
    snapshot = folder / "snapshots" / commit
    return snapshot if commit and snapshot.is_dir() else None


def holds_weights(folder: Path) -> bool:
    """Whether ``folder`` (searched recursively) has a readable file with a weights suffix."""
    return any(p.suffix in WEIGHT_SUFFIXES and p.is_file() for p in folder.rglob("*"))


@contextmanager
def hub_cache_only(cache_dir: Path | None = None) -> Iterator[None]:
    """Within the block huggingface_hub sends no request (its offline mode) and reads ``cache_dir``
    (default: :func:`hub_cache_dir`), so timm's and open_clip's downloads resolve from the cache.
    The switch is huggingface_hub's process-wide one: other threads see it during the block."""
    from huggingface_hub import constants

    saved = constants.HF_HUB_OFFLINE, constants.HF_HUB_CACHE
    constants.HF_HUB_OFFLINE, constants.HF_HUB_CACHE = True, str(cache_dir or hub_cache_dir())
    try:
        yield
    finally:
        constants.HF_HUB_OFFLINE, constants.HF_HUB_CACHE = saved


# ------------------------------------------------------------------ the helper


@dataclass(frozen=True)
class _Resolved:
    source: str | Path
    snapshot: Path | None = None
    cache_dir: Path | None = None


def require_pretrained(
    name_or_path: str | os.PathLike,
    *,
    library: Library,
    field: str,
    revision: str | None = None,
    subfolder: str | None = None,
    hint: str = "",
) -> str | Path:
    """What to pass to ``library`` for the pretrained model ``name_or_path`` (see the module
    docstring), or a :class:`ConfigError` on ``field`` within about 2 s when it cannot be had.

    ``subfolder`` (diffusers) is where the weights must be inside the repo; the repo root is
    returned either way, so pass the same ``subfolder`` to the library. ``hint`` is appended to the
    error (e.g. where else the weights can be found)."""
    return _resolve(name_or_path, library, field, revision, subfolder, hint).source


def load_pretrained(
    load: Callable[..., _T],
    name_or_path: str | os.PathLike,
    *,
    library: Library,
    field: str,
    revision: str | None = None,
    subfolder: str | None = None,
    hint: str = "",
    **kwargs: Any,
) -> _T:
    """``load(require_pretrained(...), **kwargs)``, inside :func:`hub_cache_only` when the weights
    come from the cache, so the library makes no network call for them (timm, open_clip)."""
    resolved = _resolve(name_or_path, library, field, revision, subfolder, hint)
    cache_only = hub_cache_only(resolved.cache_dir) if resolved.snapshot else nullcontext()
    with cache_only:
        return load(resolved.source, **kwargs)


def _resolve(
    name_or_path: str | os.PathLike,
    library: Library,
    field: str,
    revision: str | None,
    subfolder: str | None,
    hint: str,
) -> _Resolved:
    _check_library(library)
    name = os.fspath(name_or_path)
    local = Path(name).expanduser()
    if name and local.exists():
        return _Resolved(local)
    if isinstance(name_or_path, os.PathLike) or _looks_like_path(name):
        raise ConfigError(field, name, "an existing file or folder", hint)
    repo_id = hub_repo_id(name, library)
    cache_dir, origin = _cache_dir_and_origin()
    snapshot = cached_snapshot(repo_id, revision, cache_dir) if repo_id else None
    if snapshot is not None and holds_weights(snapshot / (subfolder or "")):
        if library in ("transformers", "diffusers"):
            return _Resolved(snapshot, snapshot, cache_dir)
        return _Resolved(library_name(repo_id, library, name), snapshot, cache_dir)
    if repo_id is None and library in ("transformers", "diffusers"):
        raise ConfigError(field, name, _NAMING[library], hint)
    endpoint = hub_endpoint()
    if variable := _offline_variable():
        reason = f"{variable} is set"
    elif why := _unreachable_because(endpoint, REACH_TIMEOUT_S):
        reason = f"the hub at {endpoint} cannot be reached ({why})"
    elif repo_id is None:
        return _Resolved(name)  # timm's or open_clip's own registry knows which repo it means
    else:
        return _Resolved(library_name(repo_id, library, name))
    if repo_id is None:
        offline = f"Offline ({reason}), the hub repo must follow from the name alone."
        raise ConfigError(field, name, _NAMING[library], f"{offline} {hint}".strip())
    if snapshot is None:
        state = f"{repo_folder_name(repo_id)} is not there"
    else:
        inside = f"{subfolder}/ of " if subfolder else ""
        state = f"its snapshot {snapshot} holds no weights file in {inside}it"
    raise ConfigError(
        field,
        name,
        f"a model in the local Hugging Face cache, since {reason}",
        f"Looked for {repo_id} in the cache folder {cache_dir} (from {origin}): {state}. "
        f"To get the weights, on a machine with internet run "
        f"`{download_command(repo_id, revision)}` (older huggingface_hub: "
        f"`{download_command(repo_id, revision, 'huggingface-cli')}`) and copy the folder "
        f"{repo_folder_name(repo_id)} from that machine's hub cache (by default "
        f"~/.cache/huggingface/hub) into {cache_dir}; or add `--local-dir <folder>` to the "
        f"command, copy that folder here and set `{field}` to its path. {hint}".strip(),
    )


_NAMING = {
    "transformers": "a hub id `org/name` or an existing file or folder",
    "diffusers": "a hub id `org/name` or an existing file or folder",
    "timm": "a timm name with its pretrained tag (`arch.tag`, e.g. "
    "`vit_base_patch16_224.augreg_in21k`), `hf-hub:org/name`, or an existing file or folder",
    "open_clip": "`hf-hub:org/name` or an existing file or folder",
}
