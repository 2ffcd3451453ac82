"""shared.hub: pretrained names resolved against the local hub cache, failing fast offline.

The caches are laid out by hand the way huggingface_hub writes them:
``<cache>/models--<org>--<name>/refs/<branch>`` holds a commit hash and
``<cache>/models--<org>--<name>/snapshots/<hash>/`` the files of that commit.
"""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import hub
from shared.errors import ConfigError
from shared.hub import (
    cached_snapshot,
    hub_cache_dir,
    hub_cache_only,
    hub_reachable,
    hub_repo_id,
    library_name,
    load_pretrained,
    repo_folder_name,
    require_pretrained,
)

FIELD = "model.backbone.pretrained"
COMMIT = "0123456789abcdef0123456789abcdef01234567"
OTHER_COMMIT = "fedcba9876543210fedcba9876543210fedcba98"
ENV = (
    "HF_HOME HF_HUB_CACHE HUGGINGFACE_HUB_CACHE XDG_CACHE_HOME HF_HUB_OFFLINE "
    "TRANSFORMERS_OFFLINE HF_ENDPOINT http_proxy https_proxy all_proxy no_proxy "
    "HTTP_PROXY HTTPS_PROXY ALL_PROXY NO_PROXY"
).split()


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty hub cache at ``$HF_HOME/hub``, online, no proxy, huggingface_hub not offline."""
    from huggingface_hub import constants

    for variable in ENV:
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    return tmp_path / "hf" / "hub"


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any attempt to look a host up or open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(hub, "_unreachable_because", refuse)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def answering() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server answering every HEAD with 404: the URL and the paths it was asked."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            seen.append(self.path)
            self.send_response(404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.fixture
def fresh_session() -> Iterator[None]:
    """huggingface_hub builds its HTTP client (proxies included) once: rebuild it around a test."""
    from huggingface_hub.utils import close_session

    close_session()
    yield
    close_session()


def write_snapshot(
    cache: Path,
    repo_id: str,
    files: tuple[str, ...] = ("config.json", "model.safetensors"),
    ref: str = "main",
    commit: str = COMMIT,
) -> Path:
    repo = cache / ("models--" + repo_id.replace("/", "--"))
    (repo / "refs").mkdir(parents=True, exist_ok=True)
    (repo / "refs" / ref).write_text(commit)
    snapshot = repo / "snapshots" / commit
    for name in files:
        (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
        (snapshot / name).write_text("{}")
    return snapshot


# ---------------------------------------------------------------- where the cache is


def test_cache_folder_follows_huggingface_hubs_order(cache, monkeypatch, tmp_path):
    monkeypatch.delenv("HF_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert hub_cache_dir() == tmp_path / "home" / ".cache" / "huggingface" / "hub"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub_cache_dir() == tmp_path / "xdg" / "huggingface" / "hub"
    monkeypatch.setenv("HF_HOME", "~/hf")
    assert hub_cache_dir() == tmp_path / "home" / "hf" / "hub"
    monkeypatch.setenv("HUGGINGFACE_HUB_CACHE", str(tmp_path / "legacy"))
    assert hub_cache_dir() == tmp_path / "legacy"
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub-cache"))
    assert hub_cache_dir() == tmp_path / "hub-cache"


# ---------------------------------------------------------------- failing fast


def test_offline_with_an_empty_cache_fails_fast_naming_the_cache_and_the_command(
    cache, monkeypatch
):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(hub, "_unreachable_because", pytest.fail)  # offline: no probe either
    start = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        require_pretrained("microsoft/cvt-13", library="transformers", field=FIELD)
    assert time.monotonic() - start < 5.0
    message = str(caught.value)
    assert caught.value.field == FIELD and caught.value.found == "microsoft/cvt-13"
    assert f"cache folder {cache} (from HF_HOME)" in message
    assert "models--microsoft--cvt-13 is not there" in message
    assert "HF_HUB_OFFLINE is set" in message
    assert "`hf download microsoft/cvt-13`" in message
    assert "`huggingface-cli download microsoft/cvt-13`" in message
    assert f"set `{FIELD}` to its path" in message


def test_offline_error_names_the_cache_hf_hub_cache_points_at(cache, monkeypatch, tmp_path):
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "yes")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "elsewhere"))
    with pytest.raises(ConfigError, match="TRANSFORMERS_OFFLINE is set") as caught:
        require_pretrained("microsoft/cvt-13", library="transformers", field=FIELD)
    assert f"{tmp_path / 'elsewhere'} (from HF_HUB_CACHE)" in str(caught.value)


def test_hf_hub_offline_0_is_online_and_wins_over_transformers_offline(cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    assert not hub.hub_offline()
    monkeypatch.setenv("HF_HUB_OFFLINE", "true")
    assert hub.hub_offline()


def test_unreachable_endpoint_fails_fast(cache, monkeypatch):
    endpoint = f"http://127.0.0.1:{closed_port()}"
    monkeypatch.setenv("HF_ENDPOINT", endpoint + "/")
    start = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        require_pretrained(
            "vit_base_patch16_224.augreg_in21k", library="timm", field="model.encoder"
        )
    assert time.monotonic() - start < 5.0
    message = str(caught.value)
    assert f"the hub at {endpoint} cannot be reached" in message
    assert f"cache folder {cache}" in message
    assert "models--timm--vit_base_patch16_224.augreg_in21k is not there" in message
    assert "`hf download timm/vit_base_patch16_224.augreg_in21k`" in message


def test_an_endpoint_that_never_answers_counts_as_unreachable(cache):
    with socket.socket() as silent:  # accepts connections (backlog) and never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        assert not hub_reachable(f"http://127.0.0.1:{silent.getsockname()[1]}", timeout=0.2)


def test_with_a_network_the_library_gets_its_own_name_to_download(cache, monkeypatch, answering):
    url, seen = answering
    monkeypatch.setenv("HF_ENDPOINT", url)
    assert hub_reachable()
    cases = [
        ("microsoft/cvt-13", "transformers", "microsoft/cvt-13"),
        ("stabilityai/sd-vae-ft-mse", "diffusers", "stabilityai/sd-vae-ft-mse"),
        ("vit_base_patch16_224.augreg_in21k", "timm", "vit_base_patch16_224.augreg_in21k"),
        ("timm/vit_base_patch16_224.augreg_in21k", "timm", "hf-hub:timm/vit_base_patch16_224.augreg_in21k"),
        ("resnet50", "timm", "resnet50"),  # timm's registry picks the default tag's repo
        ("hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "open_clip", "hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K"),
        ("laion/CLIP-ViT-B-32-laion2B-s34B-b79K", "open_clip", "hf-hub:laion/CLIP-ViT-B-32-laion2B-s34B-b79K"),
    ]  # fmt: skip
    for given, library, expected in cases:
        source = require_pretrained(given, library=library, field=FIELD)
        assert source == expected and isinstance(source, str), (given, library)
    assert seen and set(seen) == {"/"}  # only the endpoint itself was asked


def test_the_reachability_check_goes_through_the_environments_proxy(
    cache, monkeypatch, answering, fresh_session
):
    from huggingface_hub.utils import close_session

    proxy, seen = answering
    monkeypatch.setenv("HTTP_PROXY", proxy)
    assert hub_reachable("http://hub.invalid", timeout=1.0)
    assert seen == ["http://hub.invalid/"]  # the proxy was asked for the endpoint
    monkeypatch.setenv("NO_PROXY", "hub.invalid")
    close_session()
    assert not hub_reachable("http://hub.invalid", timeout=1.0)


# ---------------------------------------------------------------- the cache


def test_a_cached_snapshot_is_returned_without_touching_the_network(cache, no_network):
    snapshot = write_snapshot(cache, "microsoft/cvt-13")
    assert require_pretrained("microsoft/cvt-13", library="transformers", field=FIELD) == snapshot
    pipeline = write_snapshot(cache, "org/pipe", ("model_index.json", "unet/model.safetensors"))
    assert require_pretrained("org/pipe", library="diffusers", field=FIELD) == pipeline
    unet = require_pretrained("org/pipe", library="diffusers", field=FIELD, subfolder="unet")
    assert unet == pipeline  # the repo root: the library is given the same subfolder
    write_snapshot(cache, "timm/vit_small_patch16_224.augreg_in21k")
    name = "vit_small_patch16_224.augreg_in21k"
    assert require_pretrained(name, library="timm", field=FIELD) == name
    write_snapshot(cache, "laion/clip", ("open_clip_config.json", "open_clip_model.safetensors"))
    assert require_pretrained("hf-hub:laion/clip", library="open_clip", field=FIELD) == (
        "hf-hub:laion/clip"
    )


def test_a_snapshot_without_weights_is_not_a_cached_model(cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    snapshot = write_snapshot(cache, "microsoft/cvt-13", ("config.json",))
    with pytest.raises(ConfigError, match="holds no weights file") as caught:
        require_pretrained("microsoft/cvt-13", library="transformers", field=FIELD)
    assert str(snapshot) in str(caught.value)
    write_snapshot(cache, "org/pipe", ("model_index.json", "vae/model.safetensors"))
    with pytest.raises(ConfigError, match=r"no weights file in unet/ of it"):
        require_pretrained("org/pipe", library="diffusers", field=FIELD, subfolder="unet")


def test_revisions_resolve_through_refs_or_as_commits(cache, monkeypatch):
    main = write_snapshot(cache, "org/name")
    tagged = write_snapshot(cache, "org/name", ref="v1.0", commit=OTHER_COMMIT)
    assert cached_snapshot("org/name") == main
    assert cached_snapshot("org/name", "v1.0") == tagged
    assert cached_snapshot("org/name", OTHER_COMMIT) == tagged
    assert cached_snapshot("org/name", "v2.0") is None
    assert cached_snapshot("org/other") is None
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert require_pretrained("org/name", library="transformers", field=FIELD, revision="v1.0") == (
        tagged
    )
    with pytest.raises(ConfigError, match=r"`hf download org/name --revision v2\.0`"):
        require_pretrained("org/name", library="transformers", field=FIELD, revision="v2.0")


def test_hub_cache_only_lets_huggingface_hub_serve_a_cached_file_offline(
    cache, monkeypatch, no_network
):
    from huggingface_hub import constants, hf_hub_download

    snapshot = write_snapshot(cache, "timm/resnet18.a1_in1k")
    before = constants.HF_HUB_OFFLINE, constants.HF_HUB_CACHE

    def timm_like(name: str) -> str:  # what timm does with a timm/<name> model
        assert name == "resnet18.a1_in1k"
        return hf_hub_download(f"timm/{name}", "model.safetensors")

    path = load_pretrained(timm_like, "resnet18.a1_in1k", library="timm", field=FIELD)
    assert Path(path) == snapshot / "model.safetensors"
    assert (constants.HF_HUB_OFFLINE, constants.HF_HUB_CACHE) == before
    with hub_cache_only(cache):
        assert constants.HF_HUB_OFFLINE and constants.HF_HUB_CACHE == str(cache)
    assert (constants.HF_HUB_OFFLINE, constants.HF_HUB_CACHE) == before


# ---------------------------------------------------------------- local paths and names


def test_local_files_and_folders_are_returned_as_is(cache, monkeypatch, tmp_path, no_network):
    weights = tmp_path / "CvT-13-224x224-IN-1k.pth"
    weights.write_bytes(b"")
    (tmp_path / "microsoft" / "cvt-13").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    for library in hub.LIBRARIES:
        assert require_pretrained(str(weights), library=library, field=FIELD) == weights
        assert require_pretrained(tmp_path, library=library, field=FIELD) == tmp_path
        # an existing folder wins over the hub id it looks like, as in transformers
        assert require_pretrained("microsoft/cvt-13", library=library, field=FIELD) == Path(
            "microsoft/cvt-13"
        )


def test_missing_paths_and_malformed_names_are_refused_without_a_lookup(cache, no_network):
    for missing in ("./weights", "/no/such/folder", "~/nothing", "a/b/c", "model.pth", "C:\\m"):
        with pytest.raises(ConfigError, match="an existing file or folder"):
            require_pretrained(missing, library="transformers", field=FIELD)
    for bad in ("hf-hub:org/name", "org--x/name", "", "two words"):
        with pytest.raises(ConfigError, match="a hub id `org/name`"):
            require_pretrained(bad, library="transformers", field=FIELD)
    with pytest.raises(ValueError, match="library must be one of"):
        require_pretrained("org/name", library="keras", field=FIELD)


def test_offline_a_name_that_does_not_say_its_repo_is_refused(cache, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match="pretrained tag"):
        require_pretrained("resnet50", library="timm", field=FIELD)
    with pytest.raises(ConfigError, match="`hf-hub:org/name`"):
        require_pretrained("ViT-B-32", library="open_clip", field=FIELD)


def test_library_names_map_to_hub_repos():
    assert hub_repo_id("microsoft/cvt-13", "transformers") == "microsoft/cvt-13"
    assert hub_repo_id("gpt2", "transformers") == "gpt2"
    assert hub_repo_id("runwayml/stable-diffusion-v1-5", "diffusers") == (
        "runwayml/stable-diffusion-v1-5"
    )
    assert hub_repo_id("vit_base_patch16_224.augreg_in21k", "timm") == (
        "timm/vit_base_patch16_224.augreg_in21k"
    )
    assert hub_repo_id("hf-hub:timm/resnet50.a1_in1k", "timm") == "timm/resnet50.a1_in1k"
    assert hub_repo_id("hf-hub:org/model", "timm") == "org/model"
    assert hub_repo_id("resnet50", "timm") is None  # the default tag is timm's to choose
    assert hub_repo_id("hf-hub:laion/CLIP-ViT-B-32", "open_clip") == "laion/CLIP-ViT-B-32"
    assert hub_repo_id("ViT-B-32", "open_clip") is None
    assert hub_repo_id("hf-hub:laion/CLIP-ViT-B-32", "transformers") is None
    assert library_name("timm/resnet50.a1_in1k", "timm", given="resnet50.a1_in1k") == (
        "resnet50.a1_in1k"
    )
    assert library_name("org/model", "timm") == "hf-hub:org/model"
    assert library_name("laion/CLIP-ViT-B-32", "open_clip") == "hf-hub:laion/CLIP-ViT-B-32"
    assert library_name("org/pipe", "diffusers") == "org/pipe"
    assert repo_folder_name("microsoft/cvt-13") == "models--microsoft--cvt-13"
    assert repo_folder_name("gpt2") == "models--gpt2"


# ---------------------------------------------------------------- CvT-13


TINY_CVT = {"embed_dim": (8, 16, 24), "depth": (1, 2, 3), "num_heads": (1, 2, 3), "image_size": 32}


def test_cvt13_named_by_hub_id_fails_fast_offline_with_an_empty_cache(cache, monkeypatch):
    from transformers import CvtForImageClassification  # noqa: F401 (import time is not the wait)

    from shared.models.cvt import CvT13

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    start = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        CvT13(num_classes=10, pretrained="microsoft/cvt-13")
    assert time.monotonic() - start < 5.0
    message = str(caught.value)
    assert caught.value.field == FIELD
    assert f"cache folder {cache}" in message and "`hf download microsoft/cvt-13`" in message
    assert "CvT-13-224x224-IN-1k.pth" in message  # the original checkpoint stays an option


def test_cvt13_named_by_hub_id_loads_from_the_cache_offline(cache, monkeypatch, no_network):
    from shared.models.cvt import CvT13

    source = CvT13(num_classes=7, **TINY_CVT)
    snapshot = write_snapshot(cache, "microsoft/cvt-13", files=())
    source.model.save_pretrained(snapshot)
    loaded = CvT13(num_classes=7, pretrained="microsoft/cvt-13", **TINY_CVT)
    for key, value in source.model.state_dict().items():
        assert loaded.model.state_dict()[key].equal(value), key
