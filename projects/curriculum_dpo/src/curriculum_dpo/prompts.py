"""The official prompt sets by name (``data/prompts.py`` of the official code): the 45 animals
as ``"A photo of {a|an} {animal}"`` (aesthetic reward), the animals × three activities (text
alignment and human preference, the DDPO protocol), and the colour words of the embedded run."""

from __future__ import annotations

from shared.errors import ConfigError

ANIMALS = (
    "cat dog horse monkey rabbit zebra spider bird sheep deer cow goat lion tiger bear raccoon "
    "fox wolf lizard beetle ant butterfly fish shark whale dolphin squirrel mouse rat snake "
    "turtle frog chicken duck goose bee pig turkey fly llama camel bat gorilla hedgehog kangaroo"
).split()
ACTIVITIES = ("washing the dishes", "riding a bike", "playing chess")
COLOUR_RGB = {
    "red": (1.0, 0.0, 0.0),
    "green": (0.0, 1.0, 0.0),
    "blue": (0.0, 0.0, 1.0),
    "yellow": (1.0, 1.0, 0.0),
}
COLOURS = tuple(COLOUR_RGB)


def article(word: str) -> str:
    """``an`` before a vowel sound, else ``a`` (what ``inflect`` picks for these animals)."""
    return "an" if word[0] in "aeiou" else "a"


def animals() -> list[str]:
    return [f"A photo of {article(a)} {a}" for a in ANIMALS]


def animal_activities() -> list[str]:
    return [f"{article(a)} {a} {activity}" for a in ANIMALS for activity in ACTIVITIES]


PROMPT_SETS = {
    "animals": animals,
    "animal_activities": animal_activities,
    "colours": lambda: list(COLOURS),
}


def resolve_prompts(prompts: str | list[str], field: str = "data.prompts") -> list[str]:
    """A named prompt set, or the list itself."""
    if isinstance(prompts, str):
        if prompts not in PROMPT_SETS:
            raise ConfigError(field, prompts, f"a prompt list or one of {sorted(PROMPT_SETS)}")
        return PROMPT_SETS[prompts]()
    if not prompts:
        raise ConfigError(field, prompts, "at least one prompt")
    return list(prompts)
