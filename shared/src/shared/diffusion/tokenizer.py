"""A real ``transformers.CLIPTokenizer`` over a generated vocabulary, so text-to-image tests
tokenize the way Stable Diffusion does without downloading ``openai/clip-vit-large-patch14``.

The vocabulary has CLIP's layout in miniature: the two special tokens, the 256 byte symbols of
CLIP's byte-to-unicode table with and without the end-of-word mark ``</w>`` (so any text
tokenizes), and left-to-right merges that make each given word one token where the merges of
other words do not split it first.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

BOS, EOS = "<|startoftext|>", "<|endoftext|>"
END_OF_WORD = "</w>"


def _byte_table() -> dict[int, str]:
    """CLIP's (GPT-2's) byte → printable-unicode table."""
    from transformers.convert_slow_tokenizer import bytes_to_unicode

    return bytes_to_unicode()


def _word_merges(word: str) -> list[tuple[str, str]]:
    """The merges that join ``word`` (already byte-encoded) left to right into one token."""
    symbols = [*word[:-1], word[-1] + END_OF_WORD]
    merges, head = [], symbols[0]
    for symbol in symbols[1:]:
        merges.append((head, symbol))
        head += symbol
    return merges


def write_tokenizer_files(folder: str | Path, words: Iterable[str]) -> Path:
    """Write ``vocab.json`` and ``merges.txt`` for ``words`` (lower-cased, split on spaces) into
    ``folder`` and return it. Special tokens get ids 0 (BOS) and 1 (EOS, also the padding)."""
    encode = _byte_table()
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    vocab: dict[str, int] = {BOS: 0, EOS: 1}
    for symbol in encode.values():
        vocab.setdefault(symbol, len(vocab))
    for symbol in encode.values():
        vocab.setdefault(symbol + END_OF_WORD, len(vocab))
    merges: list[tuple[str, str]] = []
    seen: set[tuple[str, str]] = set()
    pieces = sorted({w for text in words for w in text.lower().split()})
    for piece in pieces:
        encoded = "".join(encode[b] for b in piece.encode("utf-8"))
        for merge in _word_merges(encoded):
            if merge not in seen:
                seen.add(merge)
                merges.append(merge)
                vocab.setdefault("".join(merge), len(vocab))
    (folder / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    lines = ["#version: 0.2", *(f"{a} {b}" for a, b in merges)]
    (folder / "merges.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def tiny_tokenizer(folder: str | Path, words: Iterable[str], max_length: int = 77):
    """A ``CLIPTokenizer`` over :func:`write_tokenizer_files` (``folder`` receives the files and
    the tokenizer's own ``save_pretrained`` output, so ``CLIPTokenizer.from_pretrained(folder)``
    reloads it). ``max_length`` is the padded prompt length (77 in Stable Diffusion)."""
    from transformers import CLIPTokenizer

    folder = write_tokenizer_files(folder, words)
    tokenizer = CLIPTokenizer.from_pretrained(
        folder, model_max_length=max_length, bos_token=BOS, eos_token=EOS, pad_token=EOS
    )
    tokenizer.save_pretrained(folder)
    return tokenizer
