"""Text alignment: the LLaVA server client against a local stand-in of the official server,
BERTScore recall against hand computations, a local transformers captioner, and the choices."""

import io
import math
import pickle
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import torch
from curriculum_dpo.rewards import REWARDS, score
from curriculum_dpo.rewards_text import (
    QUESTION,
    REFERENCE,
    ServerError,
    _tiny_bert,
    greedy_recall,
    text_alignment,
    to_uint8_hwc,
)
from PIL import Image

from shared.errors import ConfigError


@contextmanager
def server(reply: Callable[[dict], tuple[int, bytes]]) -> Iterator[tuple[str, list[dict]]]:
    """A local HTTP server on a free port: each POST body is unpickled, kept, and answered."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            payload = pickle.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append(payload)
            status, body = reply(payload)
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", received
    finally:
        httpd.shutdown()
        httpd.server_close()


def official_reply(payload: dict) -> tuple[int, bytes]:
    """What app.py returns: outputs and, with answers, precision/recall/f1, each (batch, 1)."""
    n = len(payload["images"])
    reply = {"outputs": [[f"caption {len(payload['images'])}.{i}"] for i in range(n)]}
    if "answers" in payload:
        recall = [[0.25 + 0.01 * i] for i in range(n)]
        reply.update(precision=recall, recall=recall, f1=recall)
    return 200, pickle.dumps(reply)


def jpeg(array) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="JPEG", quality=80)
    return buffer.getvalue()


def test_images_are_rounded_to_uint8_as_the_official_client_does() -> None:
    images = torch.tensor([0.0, 0.502, 0.2, 1.2]).reshape(1, 1, 2, 2).expand(1, 3, 2, 2)
    (array,) = to_uint8_hwc(images)
    assert array.shape == (2, 2, 3) and array.dtype.name == "uint8"
    assert array[..., 0].tolist() == [[0, 128], [51, 255]]  # 128.01 -> 128, 51.0, clamped


def test_the_server_client_sends_the_official_payload_and_uses_the_returned_recall() -> None:
    images = torch.rand(12, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    prompts = [f"a cat {i}" for i in range(12)]
    with server(official_reply) as (url, received):
        reward = text_alignment(captioner="llava_server", url=url)
        values = score(reward, images, prompts)
        captions = reward.captioner(images[:3])
    assert [len(p["images"]) for p in received] == [10, 2, 3]  # the official batches of 10
    first = received[0]
    assert sorted(first) == ["answers", "images", "queries"]
    assert first["images"] == [jpeg(a) for a in to_uint8_hwc(images[:10])]  # JPEG quality 80
    assert first["queries"] == [["Answer concisely: what is going on in this image?"]] * 10
    assert QUESTION == first["queries"][0][0]
    assert first["answers"] == [[f"The image contains a cat {i}"] for i in range(10)]
    assert received[1]["answers"] == [
        ["The image contains a cat 10"],
        ["The image contains a cat 11"],
    ]
    expected = [0.25 + 0.01 * i for i in range(10)] + [0.25, 0.26]
    assert values.tolist() == pytest.approx(expected)
    assert "answers" not in received[2]  # captions alone: the server scores nothing
    assert captions == ["caption 3.0", "caption 3.1", "caption 3.2"]


def test_the_server_client_fails_clearly_naming_the_url() -> None:
    images = torch.rand(2, 3, 8, 8)
    traceback = b"Traceback (most recent call last):\n  ...\nKeyError: 'images'\n"
    replies = {
        "500": lambda p: (500, traceback),
        "garbage": lambda p: (200, b"<html>not a pickle</html>"),
        "list": lambda p: (200, pickle.dumps(["a caption"])),
        "no recall": lambda p: (200, pickle.dumps({"outputs": [["a"], ["b"]]})),
        "nan": lambda p: (
            200,
            pickle.dumps({"outputs": [["a"], ["b"]], "recall": [[0.1], [math.nan]]}),
        ),
        "short": lambda p: (200, pickle.dumps({"outputs": [["a"]], "recall": [[0.1]]})),
    }
    expected = {
        "500": r"answered HTTP 500: KeyError: 'images'",
        "garbage": r"replied with 25 bytes that are not a pickle \(starting b'<html>",
        "list": r"replied with a list, expected a dict with 'outputs'",
        "no recall": r"replied with recall=None \(keys \['outputs'\]\), expected 2 rows of one float",
        "nan": r"replied with recall=\[\[0\.1\], \[nan\]\].*expected 2 rows of one float",
        "short": r"replied with outputs=\[\['a'\]\].*expected 2 rows of one str",
    }
    for case, reply in replies.items():
        with server(reply) as (url, _):
            reward = text_alignment(captioner="llava_server", url=url)
            with pytest.raises(ServerError, match=rf"LLaVA server at {url} {expected[case]}"):
                reward(images, ["red", "blue"])


def test_an_unreachable_or_slow_server_is_an_error_not_a_wait() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    reward = text_alignment(captioner="llava_server", url=f"http://127.0.0.1:{port}")
    with pytest.raises(ServerError, match=rf"at http://127\.0\.0\.1:{port} cannot be reached"):
        reward(torch.rand(1, 3, 8, 8), ["red"])

    def slow(payload: dict) -> tuple[int, bytes]:
        time.sleep(1.0)
        return official_reply(payload)

    with server(slow) as (url, _):
        reward = text_alignment(captioner="llava_server", url=url, timeout=0.2)
        started = time.perf_counter()
        with pytest.raises(ServerError, match=r"cannot be reached .*timed out"):
            reward(torch.rand(1, 3, 8, 8), ["red"])
        assert time.perf_counter() - started < 0.9
    with pytest.raises(ConfigError, match=r"data\.reward_args\.url"):
        text_alignment(captioner="llava_server", url="127.0.0.1:8085")


def test_greedy_recall_by_hand() -> None:
    # reference tokens: [CLS] (not counted), (0, 1), (0.6, 0.8) once normalised; candidate
    # tokens (1, 0) and (1, 1)/√2. Best cosines: max(0, 1/√2) and max(0.6, 1.4/√2).
    reference = torch.tensor([[5.0, 0.0], [0.0, 2.0], [3.0, 4.0]], dtype=torch.float64)
    candidate = torch.tensor([[1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    counted = torch.tensor([False, True, True])
    both = torch.tensor([True, True])
    recall = greedy_recall(reference, candidate, counted, both)
    assert recall.item() == pytest.approx((1 / math.sqrt(2) + 1.4 / math.sqrt(2)) / 2, abs=1e-12)
    assert recall.item() == pytest.approx(0.8485281374, abs=1e-9)
    # the [CLS] row would have matched (1, 0) perfectly: it is left out of the mean
    assert (
        greedy_recall(reference, candidate, torch.tensor([True, True, True]), both).item()
        > recall.item()
    )
    # an empty sentence ([CLS][SEP] only) scores 0, as bert_score sets it
    assert greedy_recall(reference, candidate, counted, torch.tensor([False, False])).item() == 0.0


def test_bertscore_recall_matches_a_hand_computation_on_a_tiny_bert() -> None:
    reward = text_alignment(scorer="bertscore_recall", encoder="tiny")
    scorer = reward.scorer
    assert scorer.layer == 2  # the tiny model's last layer
    caption, reference = "a red image", REFERENCE.format(prompt="red")

    def hidden(sentence: str) -> tuple[list[int], torch.Tensor]:
        ids = scorer.tokenizer(sentence)["input_ids"]
        with torch.no_grad():
            out = scorer.model(torch.tensor([ids]), output_hidden_states=True)
        return ids, out.hidden_states[2][0].double()

    caption_ids, caption_h = hidden(caption)
    reference_ids, reference_h = hidden(reference)
    assert len(reference_ids) == 6  # [CLS] the image contains red [SEP]
    special = {scorer.tokenizer.cls_token_id, scorer.tokenizer.sep_token_id}
    best = []
    for i, token in enumerate(reference_ids):
        if token in special:
            continue
        cosines = [
            float(reference_h[i] @ caption_h[j] / (reference_h[i].norm() * caption_h[j].norm()))
            for j in range(len(caption_ids))  # the caption's [CLS]/[SEP] can be matched
        ]
        best.append(max(cosines))
    assert len(best) == 4
    by_hand = sum(best) / len(best)
    # candidate = the caption, reference = "The image contains {prompt}" (the server's order)
    values = scorer(["a red image", reference], [reference, reference])
    assert values[0].item() == pytest.approx(by_hand, abs=1e-5)
    assert values[1].item() == pytest.approx(1.0, abs=1e-6)  # identical sentences
    swapped = scorer([reference], ["a red image"])
    assert swapped.item() != pytest.approx(by_hand, abs=1e-4)  # recall is not symmetric

    images = torch.zeros(2, 3, 4, 4)
    images[0, 0], images[1, 2] = 1.0, 1.0  # a red and a blue image
    rewarded = score(reward, images, ["red", "red"])
    assert rewarded[0].item() == pytest.approx(by_hand, abs=1e-5)


def test_the_scorer_choices_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"data\.reward_args\.scorer.*Only the LLaVA server"):
        text_alignment(scorer="server")
    with pytest.raises(
        ConfigError, match=r"one of \['server', 'minilm_cosine', 'bertscore_recall'\]"
    ):
        text_alignment(scorer="bleu")
    with pytest.raises(ConfigError, match=r"data\.reward_args\.layer.*Only bertscore_recall"):
        text_alignment(encoder="tiny", layer=3)
    with pytest.raises(ConfigError, match=r"data\.reward_args\.encoder.*scores with its own"):
        text_alignment(captioner="llava_server", encoder="tiny")
    with pytest.raises(ConfigError, match=r"`data.reward_args.layer` is 3, expected 0 to 2"):
        text_alignment(scorer="bertscore_recall", encoder="tiny", layer=3)
    folder = str(_tiny_bert(layers=2))
    with pytest.raises(
        ConfigError, match="bert_score's default is 40 for microsoft/deberta-xlarge-mnli"
    ):
        text_alignment(scorer="bertscore_recall", encoder=folder)
    assert text_alignment(scorer="bertscore_recall", encoder=folder, layer=1).scorer.layer == 1
    assert (
        REWARDS.build("llava_bertscore", encoder="tiny").scorer.__class__.__name__
        == "SentenceCosine"
    )


def tiny_blip(folder) -> None:
    """A random tiny BLIP captioner and its processor (BERT tokenizer over a generated vocab)."""
    from transformers import (
        BertTokenizer,
        BlipConfig,
        BlipForConditionalGeneration,
        BlipImageProcessor,
        BlipProcessor,
    )

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "red", "image", "cat"]
    (folder / "vocab.txt").write_text("\n".join(words) + "\n")
    text = dict(
        vocab_size=len(words),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=32,
        encoder_hidden_size=16,
        bos_token_id=2,
        sep_token_id=3,
        eos_token_id=3,
        pad_token_id=0,
    )
    vision = dict(
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=16,
        patch_size=8,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        config = BlipConfig(text_config=text, vision_config=vision, projection_dim=16)
        BlipForConditionalGeneration(config).save_pretrained(folder)
    image_processor = BlipImageProcessor(size={"height": 16, "width": 16})
    tokenizer = BertTokenizer(str(folder / "vocab.txt"))
    BlipProcessor(image_processor=image_processor, tokenizer=tokenizer).save_pretrained(folder)


def test_a_local_captioner_by_path(tmp_path) -> None:
    tiny_blip(tmp_path)
    reward = text_alignment(captioner=str(tmp_path), encoder="tiny")
    reward.captioner.max_new_tokens = 4
    captions = reward.captioner(torch.rand(3, 3, 20, 20))
    assert len(captions) == 3 and all(isinstance(c, str) for c in captions)
    words = {"a", "red", "image", "cat"}
    assert all(set(c.split()) <= words for c in captions)  # decoded without special tokens
    values = score(reward, torch.rand(3, 3, 20, 20), ["red", "cat", "a"])
    assert values.shape == (3,) and torch.isfinite(values).all()
    with pytest.raises(
        ConfigError, match=r"data\.reward_args\.captioner.*`colour`, `llava_server`"
    ):
        text_alignment(captioner=str(tmp_path / "missing"))
