"""Text alignment as the official server scores it: a captioner describes the image, and the
reward is the cosine similarity of sentence embeddings (``paraphrase-MiniLM-L6-v2``) of the
caption and "The image contains {prompt}" (the paper names BERTScore recall; the shipped server
computes this cosine and returns it as precision, recall and F1).

Captioners: ``colour`` names the image's dominant colour (the embedded run's stand-in for
LLaVA-v1.5-13B; the official LLaVA server client is not built yet).
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

from curriculum_dpo.prompts import COLOUR_RGB

QUESTION = "Answer concisely: what is going on in this image?"  # the official LLaVA query
REFERENCE = "The image contains {prompt}"
ENCODER = "sentence-transformers/paraphrase-MiniLM-L6-v2"


class ColourCaptioner:
    """ "a {colour} image" for the colour closest (cosine) to the image's mean RGB."""

    def __call__(self, images: torch.Tensor) -> list[str]:
        names = list(COLOUR_RGB)
        table = torch.tensor([COLOUR_RGB[n] for n in names]).to(images)
        similarity = F.cosine_similarity(images.flatten(2).mean(2)[:, None], table[None], dim=2)
        return [f"a {names[i]} image" for i in similarity.argmax(1).tolist()]


class TextAlignment(nn.Module):
    """cos(embed(caption), embed("The image contains {prompt}")) per image."""

    name = "llava_bertscore"

    def __init__(self, captioner, encoder) -> None:
        super().__init__()
        self.captioner, self.encoder = captioner, encoder

    def forward(self, images: torch.Tensor, prompts: Sequence[str]) -> torch.Tensor:
        captions = self.captioner(images)
        references = [REFERENCE.format(prompt=p) for p in prompts]
        embeddings = self.encoder.encode(captions + references, convert_to_tensor=True)
        caption, reference = embeddings[: len(prompts)], embeddings[len(prompts) :]
        return F.cosine_similarity(caption, reference, dim=1).to(images.device)


def _tiny_encoder(seed: int = 0):
    """A random one-layer BERT with mean pooling over a small generated vocabulary."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from transformers import BertConfig, BertModel, BertTokenizer

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "image", "contains", "a", "an"]
    folder = Path(tempfile.mkdtemp(prefix="tiny-sentence-encoder-"))
    (folder / "vocab.txt").write_text("\n".join([*words, *COLOUR_RGB]) + "\n")
    config = BertConfig(
        vocab_size=len(words) + len(COLOUR_RGB),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        BertModel(config).save_pretrained(folder)
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    return SentenceTransformer(
        modules=[Transformer(str(folder)), Pooling(16, "mean")], device="cpu"
    )


def text_alignment(
    captioner: Literal["colour"] = "colour", encoder: str = ENCODER
) -> TextAlignment:
    """The text-alignment reward: ``encoder`` a sentence-transformers model by hub id or folder
    (``tiny``: a random stand-in)."""
    from shared.hub import require_pretrained

    if encoder == "tiny":
        model = _tiny_encoder()
    else:
        from sentence_transformers import SentenceTransformer

        source = require_pretrained(
            encoder, library="transformers", field="data.reward_args.encoder"
        )
        model = SentenceTransformer(str(source), device="cpu")
    return TextAlignment(ColourCaptioner(), model)
