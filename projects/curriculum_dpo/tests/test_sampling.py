"""Stage 1's guided DDIM, written out in ``sampling.py``, is the stock Stable Diffusion pipeline's
sampling: the same images from the same seed (the official stage 1 calls the pipeline)."""

from __future__ import annotations

import torch
from curriculum_dpo.bases import sample_images

from shared.diffusion import tiny_parts

PROMPTS = ["a cat", "a dog"]


def test_ddim_sampling_matches_the_stable_diffusion_pipeline(tmp_path) -> None:
    parts = tiny_parts(tmp_path / "tok", PROMPTS, block_out_channels=(16, 32))
    pipe = parts.pipeline()  # DDIM with SD 2.1-base's settings, as the official script swaps in
    pipe.set_progress_bar_config(disable=True)
    expected = pipe(  # the pipeline's default guidance 7.5 (the official generation passes none)
        PROMPTS, num_inference_steps=3, generator=torch.Generator().manual_seed(0), output_type="pt"
    ).images

    def ours(guidance: float) -> torch.Tensor:
        generator = torch.Generator().manual_seed(0)
        return sample_images(
            parts, parts.unet, PROMPTS, steps=3, guidance=guidance, generator=generator
        )

    assert expected.shape == (2, 3, 16, 16)
    assert torch.allclose(ours(7.5), expected, atol=1e-5)
    assert (ours(5.0) - expected).abs().max() > 1e-4  # guidance acts: the match is not trivial
