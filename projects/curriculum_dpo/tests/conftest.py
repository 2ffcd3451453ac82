"""Project test settings: caches (the toy base, stage 1) go under pytest's temporary folder, and
the overrides that shrink any config to the toy-smoke base and a few steps."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def data_root_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["DATA_ROOT"] = str(tmp_path_factory.mktemp("data"))


@pytest.fixture
def toy_smoke_overrides() -> list[str]:
    """Command-line overrides shrinking a config to the barely pretrained toy-smoke base, two
    prompts, three stage-1 images each and two training steps."""
    return [
        "--trainer.max_steps=2",
        "--trainer.enable_progress_bar=false",
        "--model.init_args.base=toy-smoke",
        "--model.init_args.eval_steps=1",
        "--data.init_args.base=toy-smoke",
        "--data.init_args.prompts=[red, blue]",
        "--data.init_args.per_prompt=3",
        "--data.init_args.sampling_steps=2",
        "--data.init_args.tau=0.0",
        "--data.init_args.batch_size=2",
        "--data.init_args.eval_per_prompt=1",
    ]
