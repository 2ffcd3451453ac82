"""Taps, the objective's warm-up and weights, the DiscErn module, the official ResNet-50, and the
clear errors for bad input."""

import pytest
import torch
from gini_loss.losses import BatchClasses, batch_class_histogram, gini_impurity_loss
from gini_loss.model import CifarResNet50
from gini_loss.module import DiscErnClassifier
from gini_loss.objective import DiscErnObjective, losses_active
from gini_loss.taps import FeatureTaps, first_tensor
from torch import nn

from shared.classification import ImageClassifier
from shared.errors import ConfigError
from shared.models import CifarResNet


def tiny_resnet(num_classes: int = 3) -> CifarResNet:
    return CifarResNet(num_classes, widths=(4, 4, 8, 8), blocks=(1, 1, 1, 1))


def test_warm_up_is_off_before_the_one_based_start_epoch():
    # official: epochs 1..9 pure CE for start_epoch 10; Lightning epochs are 0-based
    assert [losses_active(e, 10) for e in (0, 8, 9, 10)] == [False, False, True, True]
    assert losses_active(0, 1)


def test_total_equals_ce_before_start_epoch_and_adds_weighted_terms_after():
    torch.manual_seed(0)
    maps = [torch.rand(6, 4, 2, 2), torch.rand(6, 5)]
    labels = torch.tensor([0, 1, 2, 0, 1, 1])
    logits = torch.randn(6, 3)
    objective = DiscErnObjective(2, [0.5, 1.0], [0.2, 0.4], start_epoch=3)
    before, terms = objective(logits, labels, maps, epoch=1)
    torch.testing.assert_close(before, terms["ce"])
    after, terms_after = objective(logits, labels, maps, epoch=2)
    pieces = [objective.tap_terms(m, BatchClasses.of(labels, 3)) for m in maps]
    expected = (
        terms["ce"]
        + (0.5 * pieces[0][0] + 1.0 * pieces[1][0]) / 2
        + (0.2 * pieces[0][1] + 0.4 * pieces[1][1]) / 2
    )
    torch.testing.assert_close(after, expected)
    torch.testing.assert_close(terms_after["gini"], (pieces[0][0] + pieces[1][0]) / 2)
    assert terms_after["gini"] > 0 and terms_after["kl"] > 0


def test_weights_of_the_wrong_length_are_a_config_error():
    with pytest.raises(ConfigError, match=r"model.lambdas_kl.*one weight per tap \(2 taps\)"):
        DiscErnObjective(2, [0.5, 0.5], [0.5], start_epoch=1)
    with pytest.raises(ConfigError, match=r"model\.lambdas_gini"):
        DiscErnClassifier(
            backbone=tiny_resnet(), num_classes=3, taps=["layer4"], lambdas_gini=[0.5, 0.5]
        )


def test_labels_outside_the_class_range_are_an_error():
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\).*got values in \[0, 3\]"):
        gini_impurity_loss(torch.rand(2, 4), torch.tensor([0, 3]), 3)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        batch_class_histogram(torch.tensor([-1, 1]), 3)


def test_a_tap_that_names_no_module_lists_the_candidates():
    with pytest.raises(ConfigError, match=r"model.taps.*No module is called \['layer9'\].*layer4"):
        DiscErnClassifier(backbone=tiny_resnet(), num_classes=3, taps=["layer9"])


class TupleAndScalar(nn.Module):
    """A block returning (map, extra) like HF's CvtStage, and a head returning a scalar."""

    def __init__(self) -> None:
        super().__init__()
        self.stage = nn.Conv2d(3, 4, 3, padding=1)
        self.head = nn.Linear(4, 3)

    def forward(self, x):
        features = self.stage(x)
        return self.head(features.mean(dim=(2, 3))), features.sum()


class Wrapper(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.num_classes = 3
        self.body = TupleAndScalar()

    def forward(self, x):
        return self.body(x)[0]


def test_tuple_and_dict_outputs_contribute_their_first_tensor():
    t = torch.ones(2, 3)
    assert first_tensor((None, t, torch.zeros(1))) is t
    assert first_tensor({"last_hidden_state": t, "other": 1}) is t
    assert first_tensor("text") is None
    from transformers.modeling_outputs import BaseModelOutputWithNoAttention

    assert first_tensor(BaseModelOutputWithNoAttention(last_hidden_state=t)) is t
    model = Wrapper()
    taps = FeatureTaps(model, ["body"])
    with taps.capture() as features:
        logits = model(torch.rand(2, 3, 5, 5))
    torch.testing.assert_close(features[0], logits)  # first tensor of the (logits, scalar) tuple


class Scalar(nn.Module):
    def forward(self, x):
        return x.sum()


class WithScalarStage(Wrapper):
    def __init__(self) -> None:
        super().__init__()
        self.summary = Scalar()

    def forward(self, x):
        logits = self.body(x)[0]
        return logits + 0 * self.summary(logits)


def test_a_tap_without_a_rank_2_3_or_4_tensor_is_a_config_error():
    images, labels = torch.rand(4, 3, 5, 5), torch.tensor([0, 1, 2, 0])
    loss, _, _ = DiscErnClassifier(
        backbone=WithScalarStage(), num_classes=3, taps=["body.stage"]
    ).compute_loss(images, labels)
    assert torch.isfinite(loss)
    module = DiscErnClassifier(backbone=WithScalarStage(), num_classes=3, taps=["summary"])
    with pytest.raises(ConfigError, match=r"'summary'.*rank 2, 3 or 4.*shape \(\)"):
        module.compute_loss(images, labels)


def test_hooks_are_removed_after_capture_so_the_deployed_model_is_unchanged():
    torch.manual_seed(0)
    with_loss = DiscErnClassifier(
        backbone=tiny_resnet(),
        num_classes=3,
        taps=["layer3", "layer4"],
        lambdas_gini=[1, 1],
        lambdas_kl=[1, 1],
    )
    torch.manual_seed(0)
    plain = ImageClassifier(tiny_resnet(), 3)
    assert {k: v.shape for k, v in with_loss.state_dict().items()} == {
        k: v.shape for k, v in plain.state_dict().items()
    }
    for a, b in zip(with_loss.state_dict().values(), plain.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b)
    images, labels = torch.rand(4, 3, 8, 8), torch.tensor([0, 1, 2, 0])
    with_loss.compute_loss(images, labels)
    plain.compute_loss(images, labels)
    with_loss.eval(), plain.eval()
    assert not with_loss.backbone.layer4._forward_hooks
    torch.testing.assert_close(with_loss(images), plain(images))


def test_training_step_gradient_reaches_the_backbone_through_the_tap():
    torch.manual_seed(0)
    module = DiscErnClassifier(backbone=tiny_resnet(), num_classes=3, start_epoch=1, lambda_ce=0.0)
    images, labels = torch.rand(6, 3, 8, 8), torch.tensor([0, 1, 2, 0, 1, 2])
    loss, _, terms = module.compute_loss(images, labels)
    loss.backward()
    torch.testing.assert_close(loss, 0.5 * terms["gini"] + 0.5 * terms["kl"])
    assert module.backbone.layer4[0].conv2.weight.grad.abs().sum() > 0
    assert module.backbone.fc.weight.grad is None or module.backbone.fc.weight.grad.abs().sum() == 0


def test_official_resnet50_has_the_paper_size_and_a_conv5_tap():
    from torchvision.models import resnet50

    model = CifarResNet50(num_classes=100)
    ours = sum(p.numel() for p in model.parameters())
    # torchvision's ResNet-50 has the same bottlenecks; only its 7x7 stem differs from the 3x3 one
    reference = sum(p.numel() for p in resnet50(num_classes=100).parameters())
    assert ours == reference - 64 * 3 * (7 * 7 - 3 * 3) == 23_705_252
    assert isinstance(model.dropout, nn.Dropout) and model.dropout.p == 0.4
    small = CifarResNet50(num_classes=5, width=4, blocks=(1, 1, 1, 1))
    taps = FeatureTaps(small, ["conv5"])
    with taps.capture() as features:
        logits = small(torch.rand(2, 3, 32, 32))
    assert logits.shape == (2, 5)
    assert features[0].shape == (2, 4 * 8 * 4, 4, 4)  # width x 8 x expansion 4, 32 / 8 pixels
    assert features[0].min() >= 0  # after the last ReLU, as the official conv5 tap


def test_kl_targets_fixed_uniform_and_bad():
    torch.manual_seed(0)
    images, labels = torch.rand(6, 3, 8, 8), torch.tensor([0, 1, 2, 0, 1, 1])
    uniform = DiscErnClassifier(
        backbone=tiny_resnet(), num_classes=3, target="uniform", start_epoch=1
    )
    fixed = DiscErnClassifier(
        backbone=tiny_resnet(), num_classes=3, target=[1 / 3, 1 / 3, 1 / 3], start_epoch=1
    )
    fixed.load_state_dict(uniform.state_dict())
    torch.testing.assert_close(
        uniform.compute_loss(images, labels)[2]["kl"], fixed.compute_loss(images, labels)[2]["kl"]
    )
    off = DiscErnClassifier(backbone=tiny_resnet(), num_classes=3, target=None, start_epoch=1)
    assert off.compute_loss(images, labels)[2]["kl"].item() == 0.0
    with pytest.raises(ConfigError, match=r"model\.target.*3 non-negative class frequencies"):
        DiscErnClassifier(backbone=tiny_resnet(), num_classes=3, target=[0.5, 0.5])
    with pytest.raises(ConfigError, match=r"model\.target"):
        DiscErnClassifier(backbone=tiny_resnet(), num_classes=3, target="prior")


def test_the_official_resnet50_passes_the_backbone_contract():
    """Registered by gini_loss.model, so shared's contract test only sees it after this import."""
    from shared.models.registry import BACKBONES

    entry = BACKBONES.entry("discern_resnet50")
    torch.manual_seed(0)
    model = BACKBONES.build("discern_resnet50", num_classes=3, **entry.test_kwargs)
    logits = model(torch.randn(2, 3, 32, 32))
    assert logits.shape == (2, 3) and torch.isfinite(logits).all()
    torch.nn.functional.cross_entropy(logits, torch.tensor([0, 2])).backward()
    assert all(p.grad is not None for p in model.parameters())
