"""The spec's hand-computed cases A, D and E, and the invariants of the two terms."""

import math

import pytest
import torch
from gini_loss.losses import (
    BatchClasses,
    FeatureClassKL,
    GiniImpurityLoss,
    batch_class_histogram,
    class_filter_distribution,
    feature_class_kl,
    filter_activations,
    gini_impurity_loss,
)
from gini_loss.objective import DiscErnObjective
from hypothesis import given, settings
from hypothesis import strategies as st

CASE_A = torch.tensor([[1.0, 0, 2], [3, 0, 2], [0, 4, 2], [0, 2, 2]]).reshape(4, 3, 1, 1)
LABELS_A = torch.tensor([0, 0, 1, 1])
LOGITS_A = torch.tensor([[2.0, 0], [1, 1], [0, 3], [0.5, -0.5]])
CASE_E = torch.tensor([[1.0, 2], [3, 1], [2, 2]]).reshape(3, 2, 1, 1)
LABELS_E = torch.tensor([0, 1, 1])
CASE_D = torch.tensor([[2.0, 0], [2, 0], [0, 0], [1, 0]]).reshape(4, 2, 1, 1)
LABELS_D = torch.tensor([0, 0, 1, 1])


def test_case_a_distribution_gini_and_kl():
    loss, p = gini_impurity_loss(CASE_A, LABELS_A, 2)
    torch.testing.assert_close(p, torch.tensor([[1.0, 0], [0, 1], [0.5, 0.5]]))
    assert loss.item() == pytest.approx(0.5 / 3, abs=1e-7)
    kl = feature_class_kl(p, batch_class_histogram(LABELS_A, 2))
    assert kl.item() == pytest.approx(0.0, abs=1e-6)


def test_case_a_total_with_lambdas_and_the_bare_tensor_quirk():
    objective = DiscErnObjective(1, [0.5], [0.5], start_epoch=1)
    total, terms = objective(LOGITS_A, LABELS_A, [CASE_A], epoch=0)
    assert terms["ce"].item() == pytest.approx(0.5454810, abs=1e-6)
    assert total.item() == pytest.approx(0.6288143, abs=1e-6)
    bare, _ = objective(LOGITS_A, LABELS_A, CASE_A, epoch=0)
    assert bare.item() == pytest.approx(0.7121477, abs=1e-6)


def test_case_e_values_and_gradient():
    maps = CASE_E.clone().requires_grad_(True)
    gini, p = gini_impurity_loss(maps, LABELS_E, 2)
    torch.testing.assert_close(p, torch.tensor([[2 / 7, 5 / 7], [4 / 7, 3 / 7]]))
    assert gini.item() == pytest.approx(0.4489796, abs=1e-6)
    target = batch_class_histogram(LABELS_E, 2)
    torch.testing.assert_close(target, torch.tensor([1 / 3, 2 / 3]))
    kl = feature_class_kl(p, target)
    assert kl.item() == pytest.approx(0.0189956, abs=1e-6)
    (gini + kl).backward()
    expected = torch.tensor(
        [[0.1271461, 0.0063168], [-0.0254292, -0.0042112], [-0.0254292, -0.0042112]]
    )
    torch.testing.assert_close(maps.grad.reshape(3, 2), expected, atol=1e-6, rtol=0)


def test_case_d_dead_filter_counts_as_one_and_kl_against_half():
    gini, p = gini_impurity_loss(CASE_D, LABELS_D, 2)
    torch.testing.assert_close(p, torch.tensor([[0.8, 0.2], [0.0, 0.0]]))
    assert gini.item() == pytest.approx(0.66, abs=1e-6)
    kl = feature_class_kl(p, torch.tensor([0.5, 0.5]))
    assert kl.item() == pytest.approx(0.2231435, abs=1e-6)


def test_missing_class_under_a_fixed_target_gives_the_documented_large_kl():
    # 4 filters each firing for class 0 or 1 only; class 2 is absent but the target is uniform.
    maps = torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 1]]).reshape(2, 4, 1, 1)
    p = class_filter_distribution(maps, torch.tensor([0, 1]), 3)
    kl = feature_class_kl(p, torch.full((3,), 1 / 3)).item()
    # q = [1/2, 1/2, 1e-10/4]: the missing class alone adds (1/3) ln((1/3) * 4 / 1e-10) = 7.77.
    expected = (1 / 3) * math.log((1 / 3) * 4 / 1e-10) + 2 * (1 / 3) * math.log((1 / 3) / 0.5)
    assert kl == pytest.approx(expected, abs=1e-4)
    assert expected == pytest.approx(7.50, abs=5e-3)


def test_eps_orders_differ_only_in_normalisation():
    p = torch.tensor([[0.8, 0.2], [0.1, 0.9]])
    target = torch.tensor([0.5, 0.5])
    official = feature_class_kl(p, target, eps=0.1, official_eps_order=True)
    exact = feature_class_kl(p, target, eps=0.1, official_eps_order=False)
    # mass [0.9, 1.1], S = 2: official q = [1.0, 1.2] / 2 (sums to 1.1), exact q = [1.0, 1.2] / 2.2
    assert official.item() == pytest.approx(0.5 * math.log(0.5 / 0.6), abs=1e-6)
    assert exact.item() == pytest.approx(
        0.5 * math.log(0.5 * 2.2) + 0.5 * math.log(0.5 * 2.2 / 1.2), abs=1e-6
    )


def test_activation_reductions_for_maps_tokens_and_vectors():
    x = torch.tensor([[[1.0, -2.0], [-3.0, 4.0]]])  # [B=1, N=2, C=2] tokens
    torch.testing.assert_close(filter_activations(x), torch.tensor([[2.0, 3.0]]))
    torch.testing.assert_close(filter_activations(x[:, 0]), torch.tensor([[1.0, 2.0]]))
    maps = torch.tensor([-1.0, 3.0, 0.0, 4.0]).reshape(1, 1, 2, 2)
    torch.testing.assert_close(filter_activations(maps), torch.tensor([[2.0]]))


def test_module_forms_match_the_functions():
    kl_module = FeatureClassKL("batch")(CASE_E, LABELS_E, 2)
    assert kl_module.item() == pytest.approx(0.0189956, abs=1e-6)
    assert GiniImpurityLoss()(CASE_E, LABELS_E, 2).item() == pytest.approx(0.4489796, abs=1e-6)
    assert FeatureClassKL(None)(CASE_E, LABELS_E, 2).item() == 0.0


def test_gini_matches_sklearn_decision_tree_impurity():
    """A filter whose class-c samples all fire with n_c has p_c = n_c / N, the label frequency,
    so its Gini is the impurity scikit-learn's tree computes for those labels at its root."""
    from sklearn.tree import DecisionTreeClassifier

    labels = torch.tensor([0, 0, 0, 1, 2, 2, 3, 3, 3, 3])
    counts = torch.bincount(labels, minlength=5).float()
    maps = counts[labels].reshape(-1, 1)
    tree = DecisionTreeClassifier(max_depth=1).fit(torch.zeros(10, 1).numpy(), labels.numpy())
    assert gini_impurity_loss(maps, labels, 5)[0].item() == pytest.approx(
        tree.tree_.impurity[0], abs=1e-6
    )


# ---- invariants ---------------------------------------------------------------------------

batches = st.integers(min_value=2, max_value=12)


def _random_case(seed: int, batch: int, filters: int = 5, classes: int = 4):
    generator = torch.Generator().manual_seed(seed)
    maps = torch.rand(batch, filters, 2, 2, generator=generator) + 0.01
    labels = torch.randint(0, classes, (batch,), generator=generator)
    return maps, labels, classes


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), batch=batches)
def test_gini_bounded_and_kl_nonnegative(seed, batch):
    maps, labels, classes = _random_case(seed, batch)
    gini, p = gini_impurity_loss(maps, labels, classes)
    present = len(labels.unique())
    assert 0.0 <= gini.item() <= 1 - 1 / present + 1e-6
    kl = feature_class_kl(p, batch_class_histogram(labels, classes), official_eps_order=False)
    assert kl.item() >= -1e-6
    assert math.isfinite(kl.item())


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 10_000), batch=batches, scale=st.floats(0.01, 100.0), f=st.integers(0, 4)
)
def test_scaling_one_filter_changes_nothing(seed, batch, scale, f):
    maps, labels, classes = _random_case(seed, batch)
    scaled = maps.clone()
    scaled[:, f] *= scale
    target = batch_class_histogram(labels, classes)
    for features in (maps, scaled):
        gini, p = gini_impurity_loss(features, labels, classes)
        if features is maps:
            reference = (gini, feature_class_kl(p, target))
        else:
            torch.testing.assert_close(gini, reference[0], atol=1e-5, rtol=1e-5)
            torch.testing.assert_close(
                feature_class_kl(p, target), reference[1], atol=1e-5, rtol=1e-5
            )


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), batch=batches)
def test_permuting_the_batch_changes_nothing(seed, batch):
    maps, labels, classes = _random_case(seed, batch)
    order = torch.randperm(batch, generator=torch.Generator().manual_seed(seed + 1))
    logits = torch.randn(batch, classes, generator=torch.Generator().manual_seed(seed + 2))
    objective = DiscErnObjective(1, [0.5], [0.5], start_epoch=1)
    total, terms = objective(logits, labels, [maps], epoch=0)
    total_p, terms_p = objective(logits[order], labels[order], [maps[order]], epoch=0)
    torch.testing.assert_close(total, total_p)
    for name in terms:
        torch.testing.assert_close(terms[name], terms_p[name])


def test_one_class_per_filter_gives_zero_gini_and_kl_zero_when_q_equals_target():
    maps = torch.tensor([[3.0, 0], [0, 2], [0, 5]])  # filter 0 fires for class 0, filter 1 for 1
    labels = torch.tensor([0, 1, 1])
    gini, p = gini_impurity_loss(maps, labels, 2)
    assert gini.item() == pytest.approx(0.0, abs=1e-7)
    # q = [0.5, 0.5]: KL against [0.5, 0.5] is 0 (up to eps), against the batch [1/3, 2/3] it is not.
    assert feature_class_kl(p, torch.tensor([0.5, 0.5])).item() == pytest.approx(0.0, abs=1e-6)
    assert feature_class_kl(p, batch_class_histogram(labels, 2)).item() > 0.05


def test_absent_classes_contribute_nothing_to_the_batch_kl():
    maps, labels, _ = _random_case(3, 8, classes=2)
    p2 = class_filter_distribution(maps, labels, 2)
    p5 = class_filter_distribution(maps, labels, 5)  # classes 2..4 absent
    torch.testing.assert_close(p5[:, :2], p2)
    assert p5[:, 2:].abs().sum() == 0
    kl2 = feature_class_kl(p2, batch_class_histogram(labels, 2))
    kl5 = feature_class_kl(p5, batch_class_histogram(labels, 5))
    assert kl5.item() == pytest.approx(kl2.item(), abs=1e-5)


def test_total_is_finite_and_differentiable_when_classes_are_missing():
    maps = torch.rand(6, 4, 3, 3).requires_grad_(True)
    labels = torch.tensor([0, 0, 1, 1, 1, 0])  # classes 2..9 missing
    logits = torch.randn(6, 10, requires_grad=True)
    total, _ = DiscErnObjective(1, [0.5], [0.5], start_epoch=1)(logits, labels, [maps], epoch=0)
    total.backward()
    assert torch.isfinite(total)
    assert torch.isfinite(maps.grad).all() and maps.grad.abs().sum() > 0


def test_batch_classes_are_the_one_hot_matrix_counts_and_histogram():
    classes = BatchClasses.of(torch.tensor([2, 0, 2, 1]), 3)
    assert torch.equal(classes.onehot, torch.tensor([[0.0, 0, 1], [1, 0, 0], [0, 0, 1], [0, 1, 0]]))
    assert torch.equal(classes.counts, torch.tensor([1.0, 1, 2]))
    assert torch.equal(classes.histogram(), torch.tensor([0.25, 0.25, 0.5]))
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\).*got values in \[0, 3\]"):
        BatchClasses.of(torch.tensor([0, 3]), 3)


def test_bad_labels_are_caught_by_the_one_hot_build_with_the_clear_error():
    with pytest.raises(ValueError, match=r"labels must be a vector \[B\]; got shape \(2, 1\)"):
        BatchClasses.of(torch.tensor([[0], [1]]), 3)
    with pytest.raises(ValueError, match=r"got values in \[-1, 2\]"):
        BatchClasses.of(torch.tensor([2, -1]), 3)
