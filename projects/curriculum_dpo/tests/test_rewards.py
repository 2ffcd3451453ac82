"""Spec §11, rewards: the computable proxies on hand images, the LAION aesthetic head on
L2-normalised CLIP features, the registry contract, and a non-finite reward as an error."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from curriculum_dpo.rewards import REWARDS, AestheticMLP, RewardError, score

from shared.errors import ConfigError
from shared.testing.registry import registry_cases


def test_brightness_proxy() -> None:
    white, black = torch.ones(1, 3, 4, 4), torch.zeros(1, 3, 4, 4)
    brightness = REWARDS.build("brightness")
    images = torch.cat([white, black])
    assert score(brightness, images, ["red", "red"]).tolist() == [1.0, 0.0]
    red = torch.zeros(1, 3, 4, 4)
    red[:, 0] = 0.5
    # yellow reads the red and green channels: (0.5 + 0) / 2
    assert score(brightness, torch.cat([red, red]), ["a red one", "yellow"]).tolist() == [0.5, 0.25]


def test_colour_alignment_proxy() -> None:
    red = torch.zeros(2, 3, 4, 4)
    red[:, 0] = 1.0
    values = score(REWARDS.build("colour_alignment"), red, ["red", "green"])
    assert values.tolist() == pytest.approx([1.0, 0.0], abs=1e-7)
    with pytest.raises(ConfigError, match="a prompt naming one of"):
        score(REWARDS.build("colour_alignment"), red, ["red", "a cat"])


def test_aesthetic_head_has_the_official_layout_and_reads_normalised_features() -> None:
    head = AestheticMLP(768)
    assert [k for k in head.state_dict() if k.endswith("weight")] == [
        f"layers.{i}.weight" for i in (0, 2, 4, 6, 7)
    ]
    reward = REWARDS.build("aesthetic_score", clip="tiny")
    images = torch.rand(2, 3, 8, 8)
    with torch.no_grad():
        pixels = F.interpolate(
            (images * 255).round() / 255, size=(16, 16), mode="bicubic", antialias=True
        )
        embeds = reward.vision(pixel_values=(pixels - reward.mean) / reward.std).image_embeds
        expected = reward.mlp(embeds / embeds.norm(dim=-1, keepdim=True))
    assert score(reward, images, ["a", "b"]).tolist() == pytest.approx(expected.tolist(), rel=1e-6)


def test_real_clip_without_the_head_weights_is_refused(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(ConfigError, match=r"data\.reward_args\.clip"):
        REWARDS.build("aesthetic_score")


@pytest.mark.parametrize("entry", registry_cases(REWARDS))
def test_every_reward_scores_each_image_once(entry) -> None:
    reward = entry.builder(**entry.test_kwargs)
    values = score(reward, torch.rand(3, 3, 8, 8), ["red", "green", "blue"])
    assert values.shape == (3,) and torch.isfinite(values).all()


class Broken(torch.nn.Module):
    name = "broken"

    def __init__(self, values: list[float]) -> None:
        super().__init__()
        self.values = values

    def forward(self, images, prompts):
        return torch.tensor(self.values)


def test_a_nan_or_miscounted_reward_is_an_error() -> None:
    images = torch.rand(2, 3, 4, 4)
    with pytest.raises(RewardError, match=r"returned nan for image 1 \(prompt 'green'\)"):
        score(Broken([0.5, float("nan")]), images, ["red", "green"])
    with pytest.raises(RewardError, match="returned 3 scores for 2 images"):
        score(Broken([0.5, 0.1, 0.2]), images, ["red", "green"])


def test_hps_is_a_cosine_and_needs_its_checkpoint() -> None:
    reward = REWARDS.build("human_score", arch="tiny")
    values = score(reward, torch.rand(3, 3, 8, 8), ["a cat", "a dog", "a cat"])
    assert (values.abs() <= 1).all()
    with pytest.raises(ConfigError, match=r"HPS_v2\.1_compressed\.pt"):
        REWARDS.build("human_score")


def test_text_alignment_is_the_caption_reference_cosine() -> None:
    from curriculum_dpo.rewards_text import REFERENCE, ColourCaptioner

    images = torch.zeros(3, 3, 4, 4)
    images[0, 0], images[1, 2], images[2, :2] = 1.0, 0.7, 0.5
    assert ColourCaptioner()(images) == ["a red image", "a blue image", "a yellow image"]
    reward = REWARDS.build("llava_bertscore", encoder="tiny")
    reward.captioner = lambda x: [REFERENCE.format(prompt="red")] * len(x)  # a perfect caption
    assert score(reward, images, ["red"] * 3).tolist() == pytest.approx([1.0] * 3, abs=1e-6)
    assert REFERENCE == "The image contains {prompt}"
