"""Project test settings: caches (the toy base, stage 1) go under pytest's temporary folder."""

import os

import pytest


@pytest.fixture(scope="session", autouse=True)
def data_root_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["DATA_ROOT"] = str(tmp_path_factory.mktemp("data"))
