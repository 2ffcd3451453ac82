"""The vocabulary of prompt words and the multi-hot labels of the classification head.

Official rules (``compute_vocab.py``): tokenize and POS-tag each training prompt in its original
case; keep a token whose Penn tag contains JJ, NN or VB, whose lower-cased form is not a stopword
(NLTK English plus ".", ",", "!") and is alphabetic; count the lower-cased forms; keep the ``size``
most frequent. Ids run in *ascending* frequency (id 0 = the least frequent kept word). Ties are
broken by first occurrence (the official ``np.argsort`` is not stable). A prompt's label sets the
ids of its raw tokens, **case-sensitively** by default (so "Blue" never fires "blue").

NLTK and its data are not installed here, so the tokenizer, the tagger and the stopwords are
injectable. Defaults: a Treebank-style regex tokenizer, NLTK's perceptron tagger when NLTK and its
data can be imported (else no POS filter), and NLTK's English list packaged in
:mod:`prompt_inversion.stopwords`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from prompt_inversion.stopwords import NLTK_ENGLISH, OFFICIAL_EXTRA
from shared.errors import ConfigError

Tokenizer = Callable[[str], list[str]]
Tagger = Callable[[list[str]], list[tuple[str, str]]]
KEPT_TAGS = ("JJ", "NN", "VB")

_TOKEN = re.compile(r"\w+(?:[-']\w+)*|[^\w\s]")


def treebank_tokenize(text: str) -> list[str]:
    """Words (with inner hyphens/apostrophes) and single punctuation marks, like the Treebank
    tokenizer on prompt-like text ("blue house, 8k." -> blue, house, ",", 8k, ".")."""
    return _TOKEN.findall(text)


def nltk_tagger() -> Tagger | None:
    """NLTK's averaged-perceptron tagger when NLTK and its data are installed, else ``None``."""
    try:
        import nltk

        nltk.pos_tag(["test"])
    except (ImportError, LookupError):
        return None
    return nltk.pos_tag


def candidate_words(
    prompt: str, tokenizer: Tokenizer, tagger: Tagger | None, stopwords: frozenset[str]
) -> list[str]:
    """The lower-cased words of ``prompt`` the vocabulary counts (official rules)."""
    tokens = tokenizer(prompt)
    tagged = tagger(tokens) if tagger is not None else [(t, "NN") for t in tokens]
    words = []
    for token, tag in tagged:
        lower = token.lower()
        if any(t in tag for t in KEPT_TAGS) and lower not in stopwords and lower.isalpha():
            words.append(lower)
    return words


@dataclass(frozen=True)
class Vocabulary:
    """``words[i]`` is the word of class ``i``; ``lowercase`` matches labels case-insensitively
    (off by default, as the official code)."""

    words: tuple[str, ...]
    lowercase: bool = False

    @cached_property
    def index(self) -> dict[str, int]:
        return {word: i for i, word in enumerate(self.words)}

    def __len__(self) -> int:
        return len(self.words)

    def multi_hot(self, prompt: str, tokenizer: Tokenizer = treebank_tokenize) -> np.ndarray:
        """``[len(self)]`` float32 with 1 at the id of every vocabulary token of ``prompt``."""
        label = np.zeros(len(self.words), np.float32)
        for token in tokenizer(prompt):
            key = token.lower() if self.lowercase else token
            if (i := self.index.get(key)) is not None:
                label[i] = 1.0
        return label


def build_vocabulary(
    prompts: Iterable[str],
    size: int,
    tokenizer: Tokenizer = treebank_tokenize,
    tagger: Tagger | None = None,
    stopwords: Iterable[str] = NLTK_ENGLISH,
    lowercase: bool = False,
    field: str = "data.init_args.vocab_size",
) -> Vocabulary:
    """The ``size`` most frequent candidate words of ``prompts``, ids in ascending frequency."""
    stop = frozenset(stopwords) | OFFICIAL_EXTRA
    counts: Counter[str] = Counter()
    first: dict[str, int] = {}
    for prompt in prompts:
        for word in candidate_words(prompt, tokenizer, tagger, stop):
            counts[word] += 1
            first.setdefault(word, len(first))
    if len(counts) < size:
        raise ConfigError(
            field,
            size,
            f"at most {len(counts)}, the number of distinct candidate words in the training prompts",
        )
    ranked = sorted(counts, key=lambda w: (-counts[w], first[w]))[:size]
    return Vocabulary(tuple(reversed(ranked)), lowercase)


def top_words(
    logits: Sequence[float], vocabulary: Vocabulary, k: int = 10
) -> list[tuple[str, float]]:
    """The ``k`` words with the highest logits, with their sigmoid probabilities."""
    values = np.asarray(logits, dtype=np.float64)
    order = np.argsort(-values, kind="stable")[:k]
    return [(vocabulary.words[i], float(1 / (1 + np.exp(-values[i])))) for i in order]
