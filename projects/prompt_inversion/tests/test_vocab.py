"""The vocabulary by the official rules (spec §13's example), with an injected tagger."""

import numpy as np
import pytest
from prompt_inversion.stopwords import NLTK_ENGLISH
from prompt_inversion.vocab import build_vocabulary, top_words, treebank_tokenize

from shared.errors import ConfigError

PROMPTS = [
    "a blue bird flying over the house",
    "blue house, blue bird",
    "Tiny bird and blue house 8k",
    "bird bird",
    "bird",
]
TAGS = {"blue": "JJ", "Tiny": "JJ", "house": "NN", "bird": "NN", "flying": "VBG", "8k": "CD"}


def split_tokenizer(text: str) -> list[str]:
    return text.replace(",", " , ").replace(".", " . ").split()


def dict_tagger(tokens: list[str]) -> list[tuple[str, str]]:
    return [(t, TAGS.get(t, "DT")) for t in tokens]


def build(prompts=PROMPTS, size=3, **kwargs):
    return build_vocabulary(
        prompts, size, split_tokenizer, dict_tagger, {"the", "over", "a", "and"}, **kwargs
    )


def test_top3_ids_follow_ascending_frequency():
    # counts: bird 6, blue 4, house 3, flying 1, tiny 1
    assert build().index == {"house": 0, "blue": 1, "bird": 2}


def test_capitalised_words_are_counted_lowercased_but_never_fire():
    vocabulary = build(size=5)
    assert set(vocabulary.words) == {"house", "blue", "bird", "flying", "tiny"}
    assert build().multi_hot("Blue bird", split_tokenizer).tolist() == [0, 0, 1]
    assert build(lowercase=True).multi_hot("Blue bird", split_tokenizer).tolist() == [0, 1, 1]


def test_ties_are_broken_by_first_occurrence():
    # flying (prompt 1) and tiny (prompt 3) both occur once: the earlier one ranks higher
    assert build(size=5).words == ("tiny", "flying", "house", "blue", "bird")


def test_the_pos_filter_drops_other_tags_and_non_alphabetic_words():
    vocabulary = build_vocabulary(
        ["8k 8k cat"], 1, split_tokenizer, lambda t: [(w, "JJ") for w in t], set()
    )
    assert vocabulary.words == ("cat",)  # "8k" is JJ here but not alphabetic
    with pytest.raises(ConfigError, match=r"vocab_size.*at most 1"):
        build_vocabulary(
            ["cat runs"], 2, split_tokenizer, lambda t: [(t[0], "NN"), (t[1], "RB")], set()
        )


def test_defaults_tokenize_punctuation_and_use_nltk_stopwords():
    assert treebank_tokenize("blue house, 8k. don't") == ["blue", "house", ",", "8k", ".", "don't"]
    assert len(NLTK_ENGLISH) == 179 and {"the", "over", "wouldn't"} <= NLTK_ENGLISH
    vocabulary = build_vocabulary(["the cat, the cat!", "a dog"], 2)  # no tagger: no POS filter
    assert vocabulary.words == ("dog", "cat")


def test_top_words_rank_logits():
    vocabulary = build()
    words = top_words(np.array([0.0, 2.0, -1.0]), vocabulary, k=2)
    assert [w for w, _ in words] == ["blue", "house"]
    assert words[0][1] == pytest.approx(1 / (1 + np.exp(-2.0)))
