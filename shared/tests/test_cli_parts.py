"""The CLI's parts that need no training: resume comparison, error reading, output filters."""

import logging
import warnings
from pathlib import Path
from types import SimpleNamespace

import pytest

from shared.cli import RunProgressBar, format_summary
from shared.cli_help import explain_parse_error
from shared.cli_resume import comparable_config, differences, flatten, max_epochs_readers
from shared.quiet import quiet_lightning

# jsonargparse 4.53's report for `--model.init_args.probs_source=sobell` on CBM, verbatim.
BAD_CHOICE = """Parser key "model":
  Does not validate against any of the Union subtypes
  Subtypes: [<class 'pytorch_lightning.core.module.LightningModule'>, <class 'NoneType'>]
  Errors:
    - Problem with given class_path 'cbm.module.CBMClassifier':
        Parser key "probs_source":
          Expected a typing.Literal['sobel', 'sobel_online', 'uniform']. Got value: sobell
    - Expected a <class 'NoneType'>
  Given value type: <class 'jsonargparse._util.NestedArg'>
  Given value: NestedArg(key='probs_source', val='sobell')"""


def test_a_bad_choice_names_the_field_and_the_allowed_values():
    assert explain_parse_error(ValueError(BAD_CHOICE)) == (
        "Config field `model.init_args.probs_source` is 'sobell', expected one of 'sobel', "
        "'sobel_online', 'uniform'."
    )


def test_flatten_and_differences():
    nested = {"a": {"b": 1, "c": [1, 2]}, "d": [{"e": 3}, {"e": 4}]}
    assert flatten(nested) == {"a.b": 1, "a.c": [1, 2], "d.0.e": 3, "d.1.e": 4}
    assert differences({"x": 1, "y": 2}, {"x": 1, "y": 3, "z": 0}) == {
        "y": (2, 3),
        "z": ("(absent)", 0),
    }


def test_run_control_flags_are_not_compared():
    dumped = (
        "config: [a.yaml]\nresume: true\nthreads: 2\nseed_everything: 0\n"
        "trainer: {enable_progress_bar: false, enable_model_summary: false, max_epochs: 3}\n"
    )
    assert comparable_config(dumped) == {"seed_everything": 0, "trainer.max_epochs": 3}


def test_max_epochs_readers_are_whatever_says_so():
    cosine = SimpleNamespace(reads_max_epochs="the cosine")
    quiet = SimpleNamespace(reads_max_epochs=None)
    curriculum = SimpleNamespace(reads_max_epochs="the curriculum")
    assert max_epochs_readers(cosine, [quiet, object(), curriculum]) == [
        "the cosine",
        "the curriculum",
    ]
    assert max_epochs_readers(quiet, []) == []


def test_summary_table_of_last_and_best():
    summary = {
        "seed": 1, "epochs": 15, "best_checkpoint": "best-epoch009.ckpt", "best_val": 0.99164,
        "monitor": "val/acc", "run_dir": "/somewhere/runs/p/default/version_2",
        "last": {"test/acc": 0.98889, "test/loss": 0.04}, "best": {"test/acc": 0.98611},
    }  # fmt: skip
    lines = format_summary(summary).splitlines()
    assert lines[0] == "Test metrics, seed 1:"
    assert "last (epoch 15)" in lines[1] and "best-val (epoch 10, val/acc 0.9916)" in lines[1]
    assert lines[2].split() == ["test/acc", "0.9889", "0.9861"]
    assert lines[3].split() == ["test/loss", "0.0400"]
    assert lines[4].startswith("Run folder: /somewhere/runs/p/default/version_2")


def test_progress_bar_shows_no_logger_version():
    trainer = SimpleNamespace(
        loggers=[SimpleNamespace(version=3)], progress_bar_metrics={"loss": 1.5}
    )
    assert RunProgressBar().get_metrics(trainer, None) == {"loss": 1.5}


def test_quiet_drops_only_the_known_harmless(caplog):
    logger = logging.getLogger("pytorch_lightning.utilities.rank_zero")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with quiet_lightning():
            logger.warning("💡 Tip: install something")
            logger.warning("`Trainer.fit` stopped: `max_epochs=2` reached.")
            warnings.warn(
                "The number of training batches (17) is smaller than the logging interval",
                stacklevel=1,
            )
            warnings.warn("a warning nobody knows", stacklevel=1)
    messages = [r.getMessage() for r in caplog.records]
    assert messages == ["`Trainer.fit` stopped: `max_epochs=2` reached."]
    assert [str(w.message) for w in caught] == ["a warning nobody knows"]
    with pytest.warns(UserWarning, match="logging interval"):  # the filters end with the block
        warnings.warn(
            "The number of training batches (17) is smaller than the logging interval", stacklevel=1
        )


# jsonargparse 4.53's report for `--model.init_args.target=prior` on DiscErn, verbatim.
BAD_UNION = """Parser key "model":
  Does not validate against any of the Union subtypes
  Subtypes: [<class 'pytorch_lightning.core.module.LightningModule'>, <class 'NoneType'>]
  Errors:
    - Problem with given class_path 'gini_loss.module.DiscErnClassifier':
        Parser key "target":
          Does not validate against any of the Union subtypes
          Subtypes: [typing.Literal['batch', 'uniform'], list[float], <class 'NoneType'>]
          Errors:
            - Expected a typing.Literal['batch', 'uniform']
            - Expected a <class 'list'>
            - Expected a <class 'NoneType'>
          Given value type: <class 'str'>
          Given value: prior
    - Expected a <class 'NoneType'>
  Given value type: <class 'jsonargparse._util.NestedArg'>
  Given value: NestedArg(key='target', val='prior')"""


def test_a_bad_union_value_lists_every_accepted_kind():
    assert explain_parse_error(ValueError(BAD_UNION)) == (
        "Config field `model.init_args.target` is 'prior', expected one of 'batch', 'uniform' "
        "or list[float] or null."
    )


def test_config_files_are_read_in_the_order_they_apply():
    from shared.cli import config_name, with_default_config
    from shared.cli_help import config_arguments

    argv = ["--config=a.yaml", "--trainer.max_epochs=2", "--config", "b.yaml", "-c", "c.yaml"]
    assert config_arguments(argv) == ["a.yaml", "b.yaml", "c.yaml"]
    assert config_name(["--config=a.yaml", "--config", "b.yaml"]) == "b"
    assert with_default_config(Path("/p"), ["--x=1"]) == [
        "--config",
        "/p/configs/default.yaml",
        "--x=1",
    ]
    assert with_default_config(Path("/p"), ["--config=a.yaml"]) == ["--config=a.yaml"]


def test_a_plateau_schedule_watches_the_validation_metric():
    from functools import partial

    import torch

    from shared.classification import ImageClassifier

    module = ImageClassifier(
        lr_scheduler=partial(torch.optim.lr_scheduler.ReduceLROnPlateau, mode="max")
    )
    built = module.configure_optimizers()
    assert built["lr_scheduler"]["monitor"] == "val/acc"
    assert isinstance(
        built["lr_scheduler"]["scheduler"], torch.optim.lr_scheduler.ReduceLROnPlateau
    )
