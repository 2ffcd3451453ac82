"""The official prompt sets: 45 animals, 135 animal × activity prompts, articles as inflect."""

import pytest
from curriculum_dpo.prompts import resolve_prompts

from shared.errors import ConfigError


def test_official_prompt_sets() -> None:
    animals = resolve_prompts("animals")
    assert len(animals) == 45 and animals[0] == "A photo of a cat"
    assert "A photo of an ant" in animals and len(set(animals)) == 45
    activities = resolve_prompts("animal_activities")
    assert len(activities) == 135
    assert activities[:3] == [
        "a cat washing the dishes",
        "a cat riding a bike",
        "a cat playing chess",
    ]
    assert resolve_prompts(["x y"]) == ["x y"]


def test_unknown_or_empty_prompt_sets_are_refused() -> None:
    expected = (
        "one of \\['animal_activities', 'animals', 'colours', 'drawbench'\\] or `drawbench:<path>`"
    )
    with pytest.raises(ConfigError, match=expected):
        resolve_prompts("drawbenhc")
    with pytest.raises(ConfigError, match="at least one prompt"):
        resolve_prompts([])
