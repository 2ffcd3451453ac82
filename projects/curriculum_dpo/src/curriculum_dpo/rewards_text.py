"""Text alignment (``llava_bertscore``): a captioner describes each image and a scorer compares
the caption (the candidate) with the reference "The image contains {prompt}".

Captioners (``captioner=``):

- ``colour``: names the image's dominant colour, the embedded run's stand-in for LLaVA;
- ``llava_server``: the client of the official LLaVA-v1.5-13B server
  (``reward_models/llava-server/app.py`` of the official code, from ddpo-pytorch): batches of 10
  images as JPEG quality 80, each with the query "Answer concisely: what is going on in this
  image?" and its reference, pickled and POSTed to ``http://127.0.0.1:8085``. The server answers
  with the captions (``outputs``) and scores them itself (``precision``, ``recall``, ``f1``);
- any other value: a transformers image-to-text model (BLIP, LLaVA-hf, ...) by hub id or path,
  asked the official query through its chat template when it has one, else captioning freely.

Scorers (``scorer=``):

- ``server``: the recall the server returns, the official reward (the default with
  ``llava_server``). The shipped server computes the cosine of ``paraphrase-MiniLM-L6-v2``
  sentence embeddings and returns it as precision, recall and F1 alike;
- ``minilm_cosine``: that cosine computed here (the default otherwise);
- ``bertscore_recall``: BERTScore recall as the paper names it, ``microsoft/deberta-xlarge-mnli``
  at layer 40 (bert_score's defaults: no idf, no baseline rescaling): each reference token's
  best cosine to any candidate token, averaged over the reference tokens but [CLS]/[SEP].
"""

from __future__ import annotations

import io
import math
import pickle
import tempfile
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import Literal, Protocol

import torch
import torch.nn.functional as F
from torch import nn

from curriculum_dpo.prompts import COLOUR_RGB
from shared.errors import ConfigError

QUESTION = "Answer concisely: what is going on in this image?"  # the official LLaVA query
REFERENCE = "The image contains {prompt}"
ENCODER = "sentence-transformers/paraphrase-MiniLM-L6-v2"
BERTSCORE_MODEL = "microsoft/deberta-xlarge-mnli"
BERTSCORE_LAYERS = {BERTSCORE_MODEL: 40}  # bert_score's model2layers entry for the paper's model
SERVER_URL = "http://127.0.0.1:8085"
SERVER_BATCH = 10  # images per request in the official client
JPEG_QUALITY = 80
Scorer = Literal["server", "minilm_cosine", "bertscore_recall"]


class Captioner(Protocol):
    """Images in [0, 1] as ``[B, 3, H, W]`` -> one caption per image."""

    def __call__(self, images: torch.Tensor) -> list[str]: ...


class ColourCaptioner:
    """ "a {colour} image" for the colour closest (cosine) to the image's mean RGB."""

    def __call__(self, images: torch.Tensor) -> list[str]:
        names = list(COLOUR_RGB)
        table = torch.tensor([COLOUR_RGB[n] for n in names]).to(images)
        similarity = F.cosine_similarity(images.flatten(2).mean(2)[:, None], table[None], dim=2)
        return [f"a {names[i]} image" for i in similarity.argmax(1).tolist()]


class ServerError(RuntimeError):
    """The LLaVA server could not be reached or answered something this client cannot use."""


def to_uint8_hwc(images: torch.Tensor) -> list:
    """[0, 1] ``[B, 3, H, W]`` -> uint8 ``H×W×3`` arrays, rounded as the official client does."""
    pixels = (images.detach().float() * 255).round().clamp(0, 255).to(torch.uint8)
    return list(pixels.permute(0, 2, 3, 1).cpu().numpy())


def jpeg_bytes(images: torch.Tensor, quality: int = JPEG_QUALITY) -> list[bytes]:
    """Each image as the JPEG the official client sends (quality 80)."""
    from PIL import Image

    encoded = []
    for array in to_uint8_hwc(images):
        buffer = io.BytesIO()
        Image.fromarray(array).save(buffer, format="JPEG", quality=quality)
        encoded.append(buffer.getvalue())
    return encoded


class LlavaServerCaptioner:
    """Client of the official LLaVA server. Fails with a :class:`ServerError` naming the URL
    instead of the official client's endless retries. The reply is unpickled: point ``url`` only
    at a server you run yourself."""

    def __init__(
        self, url: str = SERVER_URL, timeout: float = 120.0, batch_size: int = SERVER_BATCH
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ConfigError("data.reward_args.url", url, "an http:// or https:// URL")
        self.url, self.timeout, self.batch_size = url, timeout, batch_size

    def __call__(self, images: torch.Tensor) -> list[str]:
        return self.ask(images)[0]

    def ask(
        self, images: torch.Tensor, references: Sequence[str] | None = None
    ) -> tuple[list[str], list[float] | None]:
        """The captions, and the server's recall for each (caption, reference) when references
        are sent (the server scores only requests that carry ``answers``)."""
        captions: list[str] = []
        recalls: list[float] = []
        for start in range(0, len(images), self.batch_size):
            batch = images[start : start + self.batch_size]
            payload = {"images": jpeg_bytes(batch), "queries": [[QUESTION]] * len(batch)}
            if references is not None:
                chunk = references[start : start + self.batch_size]
                payload["answers"] = [[r] for r in chunk]
            reply = self._post(payload)
            captions += self._column(reply, "outputs", len(batch), str)
            if references is not None:
                recalls += self._column(reply, "recall", len(batch), float)
        return captions, (recalls if references is not None else None)

    def _post(self, payload: dict) -> dict:
        request = urllib.request.Request(
            self.url,
            data=pickle.dumps(payload),
            method="POST",
            headers={"Content-Type": "application/octet-stream"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            lines = error.read().decode("utf-8", "replace").strip().splitlines()
            raise ServerError(
                f"The LLaVA server at {self.url} answered HTTP {error.code}: "
                f"{lines[-1] if lines else error.reason}"
            ) from error
        except OSError as error:  # refused, unknown host, timed out
            raise ServerError(
                f"The LLaVA server at {self.url} cannot be reached ({error}). Start the official "
                "server (in reward_models/llava-server: `gunicorn 'app:create_app()'`, which "
                f"listens on {SERVER_URL}) or set data.reward_args.url to where it listens."
            ) from error
        try:
            reply = pickle.loads(body)
        except Exception as error:
            raise ServerError(
                f"The LLaVA server at {self.url} replied with {len(body)} bytes that are not a "
                f"pickle (starting {body[:40]!r}); expected the pickled dict of app.py."
            ) from error
        if not isinstance(reply, dict):
            raise ServerError(
                f"The LLaVA server at {self.url} replied with a {type(reply).__name__}, expected "
                "a dict with 'outputs' (and 'recall' when answers are sent)."
            )
        return reply

    def _column(self, reply: dict, key: str, count: int, kind: type) -> list:
        """``reply[key]`` as ``count`` rows of one value each (one query per image)."""
        rows = reply.get(key)
        ok = (
            isinstance(rows, list)
            and len(rows) == count
            and all(isinstance(r, list) and len(r) == 1 for r in rows)
        )
        values = [r[0] for r in rows] if ok else []
        if kind is float:
            ok = ok and all(isinstance(v, int | float) and math.isfinite(v) for v in values)
            values = [float(v) for v in values]
        else:
            ok = ok and all(isinstance(v, kind) for v in values)
        if not ok:
            raise ServerError(
                f"The LLaVA server at {self.url} replied with {key}={rows!r:.200} (keys "
                f"{sorted(reply)}), expected {count} rows of one {kind.__name__} each."
            )
        return values


class TransformersCaptioner:
    """A transformers image-to-text model; greedy decoding (the official server samples at
    temperature 0.2), so a caption is reproducible."""

    def __init__(self, processor, model, max_new_tokens: int = 64) -> None:
        self.processor, self.model, self.max_new_tokens = processor, model.eval(), max_new_tokens
        self.prompt = None
        if getattr(processor, "chat_template", None):
            message = [{"type": "image"}, {"type": "text", "text": QUESTION}]
            self.prompt = processor.apply_chat_template(
                [{"role": "user", "content": message}], add_generation_prompt=True
            )

    @torch.no_grad()
    def __call__(self, images: torch.Tensor) -> list[str]:
        arrays = to_uint8_hwc(images)
        text = {} if self.prompt is None else {"text": [self.prompt] * len(arrays)}
        inputs = self.processor(images=arrays, return_tensors="pt", **text)
        inputs = inputs.to(self.model.device)
        tokens = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False)
        if "input_ids" in inputs:  # a decoder-only model repeats its prompt
            tokens = tokens[:, inputs["input_ids"].shape[1] :]
        return [t.strip() for t in self.processor.batch_decode(tokens, skip_special_tokens=True)]


class SentenceCosine(nn.Module):
    """cos(embed(caption), embed(reference)) with a sentence-transformers model (the shipped
    server's score)."""

    def __init__(self, encoder) -> None:
        super().__init__()
        self.encoder = encoder

    def forward(self, candidates: Sequence[str], references: Sequence[str]) -> torch.Tensor:
        embeddings = self.encoder.encode([*candidates, *references], convert_to_tensor=True)
        caption, reference = embeddings[: len(candidates)], embeddings[len(candidates) :]
        return F.cosine_similarity(caption, reference, dim=1)


def greedy_recall(
    reference: torch.Tensor,
    candidate: torch.Tensor,
    reference_counted: torch.Tensor,
    candidate_counted: torch.Tensor,
) -> torch.Tensor:
    """BERTScore recall of one pair: for each reference token (``[Lr, D]``) its best cosine to
    any candidate token (``[Lc, D]``, [CLS]/[SEP] included: bert_score matches them too),
    averaged over the reference tokens that count (bert_score gives [CLS]/[SEP] idf weight 0);
    0 when either sentence has no token that counts (bert_score's empty-sentence score)."""
    if not (reference_counted.any() and candidate_counted.any()):
        return reference.new_zeros(())
    similarity = F.normalize(reference, dim=-1) @ F.normalize(candidate, dim=-1).T
    return similarity.max(dim=1).values[reference_counted].mean()


class BertScoreRecall(nn.Module):
    """BERTScore recall from the contextual token embeddings after ``layer`` layers."""

    def __init__(self, model, tokenizer, layer: int) -> None:
        super().__init__()
        self.model, self.tokenizer, self.layer = model.eval(), tokenizer, layer
        self.special = {tokenizer.cls_token_id, tokenizer.sep_token_id}

    @torch.no_grad()
    def embed(self, sentence: str) -> tuple[torch.Tensor, torch.Tensor]:
        """The sentence's token embeddings ``[L, D]`` and which tokens count (not [CLS]/[SEP])."""
        ids = self.tokenizer(sentence.strip(), truncation=True, return_tensors="pt")["input_ids"]
        device = next(self.model.parameters()).device
        hidden = self.model(ids.to(device), output_hidden_states=True).hidden_states[self.layer]
        counted = torch.tensor([i not in self.special for i in ids[0].tolist()], device=device)
        return hidden[0].float(), counted

    def forward(self, candidates: Sequence[str], references: Sequence[str]) -> torch.Tensor:
        scores = []
        for candidate, reference in zip(candidates, references, strict=True):
            candidate_tokens, candidate_counted = self.embed(candidate)
            reference_tokens, reference_counted = self.embed(reference)
            scores.append(
                greedy_recall(
                    reference_tokens, candidate_tokens, reference_counted, candidate_counted
                )
            )
        return torch.stack(scores)


class TextAlignment(nn.Module):
    """One score per image: the caption against "The image contains {prompt}" (``scorer=None``:
    the score the LLaVA server returns)."""

    name = "llava_bertscore"

    def __init__(self, captioner: Captioner, scorer: nn.Module | None) -> None:
        super().__init__()
        self.captioner, self.scorer = captioner, scorer

    def forward(self, images: torch.Tensor, prompts: Sequence[str]) -> torch.Tensor:
        references = [REFERENCE.format(prompt=p) for p in prompts]
        if self.scorer is None:
            _, recall = self.captioner.ask(images, references)
            return torch.tensor(recall, device=images.device)
        return self.scorer(self.captioner(images), references).to(images.device)


def _tiny_bert(seed: int = 0, layers: int = 1) -> Path:
    """A folder with a random tiny BERT and its tokenizer over a small generated vocabulary."""
    from transformers import BertConfig, BertModel, BertTokenizer

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "the", "image", "contains", "a", "an"]
    folder = Path(tempfile.mkdtemp(prefix="tiny-bert-"))
    (folder / "vocab.txt").write_text("\n".join([*words, *COLOUR_RGB]) + "\n")
    config = BertConfig(
        vocab_size=len(words) + len(COLOUR_RGB),
        hidden_size=16,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        BertModel(config).save_pretrained(folder)
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    return folder


def _tiny_encoder(seed: int = 0):
    """A random one-layer BERT with mean pooling, as a sentence-transformers model."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer

    folder = _tiny_bert(seed)
    return SentenceTransformer(
        modules=[Transformer(str(folder)), Pooling(16, "mean")], device="cpu"
    )


def _captioner(captioner: str, url: str, timeout: float) -> Captioner:
    if captioner == "colour":
        return ColourCaptioner()
    if captioner == "llava_server":
        return LlavaServerCaptioner(url, timeout)
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from shared.hub import require_pretrained

    source = require_pretrained(
        captioner,
        library="transformers",
        field="data.reward_args.captioner",
        hint="`colour`, `llava_server`, or an image-to-text model by hub id or path.",
    )
    model = AutoModelForImageTextToText.from_pretrained(source)
    return TransformersCaptioner(AutoProcessor.from_pretrained(source), model)


def _bertscore(encoder: str, layer: int | None) -> BertScoreRecall:
    from transformers import AutoModel, AutoTokenizer

    from shared.hub import require_pretrained

    if encoder == "tiny":
        source: str | Path = _tiny_bert(layers=2)
        layer = 2 if layer is None else layer
    else:
        source = require_pretrained(
            encoder, library="transformers", field="data.reward_args.encoder"
        )
        layer = BERTSCORE_LAYERS.get(encoder) if layer is None else layer
        if layer is None:
            raise ConfigError(
                "data.reward_args.layer",
                None,
                f"the layer of {encoder} whose embeddings BERTScore matches",
                f"bert_score's default is {BERTSCORE_LAYERS[BERTSCORE_MODEL]} for "
                f"{BERTSCORE_MODEL} (48 layers).",
            )
    model = AutoModel.from_pretrained(source)
    if not 0 <= layer <= model.config.num_hidden_layers:
        raise ConfigError(
            "data.reward_args.layer", layer, f"0 to {model.config.num_hidden_layers} ({encoder})"
        )
    return BertScoreRecall(model, AutoTokenizer.from_pretrained(source), layer)


def text_alignment(
    captioner: str = "colour",
    scorer: Scorer | None = None,
    encoder: str | None = None,
    layer: int | None = None,
    url: str = SERVER_URL,
    timeout: float = 120.0,
) -> TextAlignment:
    """The text-alignment reward (see the module docstring). ``scorer``: ``server`` with
    ``llava_server``, else ``minilm_cosine``, by default. ``encoder``: the scorer's model by hub
    id or folder (default ``paraphrase-MiniLM-L6-v2`` or ``deberta-xlarge-mnli``; ``tiny``: a
    random stand-in); ``layer``: BERTScore's layer (40 for the default model)."""
    from shared.hub import require_pretrained

    scorers = ("server", "minilm_cosine", "bertscore_recall")
    if scorer is None:
        scorer = "server" if captioner == "llava_server" else "minilm_cosine"
    if scorer not in scorers:
        raise ConfigError("data.reward_args.scorer", scorer, f"one of {list(scorers)}")
    if scorer == "server" and captioner != "llava_server":
        raise ConfigError(
            "data.reward_args.scorer",
            scorer,
            "`minilm_cosine` or `bertscore_recall`",
            f"Only the LLaVA server scores its own captions; the captioner is {captioner!r}.",
        )
    if scorer == "server" and encoder is not None:
        raise ConfigError(
            "data.reward_args.encoder", encoder, "unset", "The LLaVA server scores with its own."
        )
    if scorer != "bertscore_recall" and layer is not None:
        raise ConfigError(
            "data.reward_args.layer", layer, "unset", "Only bertscore_recall has a layer."
        )
    if not timeout > 0:
        raise ConfigError("data.reward_args.timeout", timeout, "a positive number of seconds")
    caption = _captioner(captioner, url, timeout)
    if scorer == "server":
        return TextAlignment(caption, None)
    if scorer == "bertscore_recall":
        return TextAlignment(caption, _bertscore(encoder or BERTSCORE_MODEL, layer))
    if encoder == "tiny":
        model = _tiny_encoder()
    else:
        from sentence_transformers import SentenceTransformer

        source = require_pretrained(
            encoder or ENCODER, library="transformers", field="data.reward_args.encoder"
        )
        model = SentenceTransformer(str(source), device="cpu")
    return TextAlignment(caption, SentenceCosine(model))
