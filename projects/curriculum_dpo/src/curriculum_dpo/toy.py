"""The embedded run's base model: a tiny pixel-space text-to-image diffusion model pretrained in
the project on generated colour images (spec §10.1), cached in a folder named by its settings.

Prompts are colour words; an image is the colour times a brightness b ~ U(0.2, 1) plus a little
noise, so a pretrained model's samples vary in brightness and the computable rewards rank them.
The folder has a diffusers pipeline's layout without a VAE (``tokenizer/``, ``text_encoder/``,
``unet/``, ``scheduler/``), so it loads like any Stable Diffusion repository.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from curriculum_dpo.prompts import COLOUR_RGB
from curriculum_dpo.prompts import COLOURS as COLOUR_PROMPTS
from curriculum_dpo.sampling import to_model_space
from shared.paths import data_root

FORMAT = 1  # bump when the build changes what a folder holds


def colour_images(
    prompts: Sequence[str],
    size: int,
    generator: torch.Generator,
    brightness: tuple[float, float] = (0.2, 1.0),
    noise: float = 0.05,
) -> torch.Tensor:
    """One image per prompt in [0, 1]: its colour × b, b ~ U(brightness), plus Gaussian noise."""
    colours = torch.tensor([COLOUR_RGB[p] for p in prompts]).reshape(-1, 3, 1, 1)
    low, high = brightness
    b = low + (high - low) * torch.rand(len(prompts), 1, 1, 1, generator=generator)
    jitter = noise * torch.randn(len(prompts), 3, size, size, generator=generator)
    return (colours * b + jitter).clamp(0, 1)


@dataclass(frozen=True)
class ToyBase:
    """Settings of the pretrained tiny model (they name its cache folder)."""

    image_size: int = 8
    widths: tuple[int, int] = (32, 64)
    hidden_size: int = 32
    max_length: int = 8  # prompt tokens (77 in Stable Diffusion; one colour word needs 3)
    pretrain_steps: int = 120
    batch_size: int = 32
    lr: float = 2e-3
    empty_prompt_rate: float = 0.1  # so that classifier-free guidance has an unconditional model
    seed: int = 0

    def fingerprint(self) -> str:
        settings = json.dumps({**asdict(self), "format": FORMAT}, sort_keys=True)
        return hashlib.sha256(settings.encode()).hexdigest()[:12]

    def folder(self, root: Path | None = None) -> Path:
        return (root or data_root()) / "curriculum_dpo" / "toy_base" / self.fingerprint()

    def build(self, root: Path | None = None, progress: bool = True) -> Path:
        """The cached folder, pretraining it first if it is not there."""
        folder = self.folder(root)
        if (folder / "done").is_file():
            return folder
        parts = self._pretrain(folder.with_suffix(".tokenizer"), progress)
        partial = folder.with_suffix(".partial")
        shutil.rmtree(partial, ignore_errors=True)
        for name in ("tokenizer", "text_encoder", "unet"):
            getattr(parts, name).save_pretrained(partial / name)
        parts.noise_scheduler.save_pretrained(partial / "scheduler")
        (partial / "settings.json").write_text(json.dumps(asdict(self), indent=1) + "\n")
        (partial / "done").write_text("")
        shutil.rmtree(folder, ignore_errors=True)
        partial.rename(folder)
        shutil.rmtree(folder.with_suffix(".tokenizer"), ignore_errors=True)
        return folder

    def _pretrain(self, scratch: Path, progress: bool):
        from shared.diffusion import encode_prompts, tiny_parts, tiny_unet

        parts = tiny_parts(
            scratch,
            COLOUR_PROMPTS,
            hidden_size=self.hidden_size,
            max_length=self.max_length,
            seed=self.seed,
        )
        parts.vae = None
        parts.unet = tiny_unet(
            in_channels=3,
            sample_size=self.image_size,
            cross_attention_dim=self.hidden_size,
            block_out_channels=self.widths,
            seed=self.seed + 2,
        )
        parts.text_encoder.requires_grad_(False)
        generator = torch.Generator().manual_seed(self.seed)
        optimizer = torch.optim.AdamW(parts.unet.parameters(), lr=self.lr)
        steps = parts.noise_scheduler.config.num_train_timesteps
        with torch.no_grad():  # the text encoder is frozen: one embedding per caption
            table = encode_prompts(parts.tokenizer, parts.text_encoder, ["", *COLOUR_PROMPTS])
        for step in range(self.pretrain_steps):
            index = torch.randint(0, len(COLOUR_PROMPTS), (self.batch_size,), generator=generator)
            prompts = [COLOUR_PROMPTS[i] for i in index]
            x0 = to_model_space(colour_images(prompts, self.image_size, generator))
            empty = torch.rand(self.batch_size, generator=generator) < self.empty_prompt_rate
            context = table[torch.where(empty, 0, index + 1)]
            noise = torch.randn(x0.shape, generator=generator)
            t = torch.randint(0, steps, (self.batch_size,), generator=generator)
            noisy = parts.noise_scheduler.add_noise(x0, noise, t)
            loss = (parts.unet(noisy, t, context).sample - noise).pow(2).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if progress and (step % 50 == 0 or step == self.pretrain_steps - 1):
                done = f"{step + 1}/{self.pretrain_steps}"
                print(f"toy base: pretraining step {done}, ε-MSE {loss.item():.4f}", flush=True)
        return parts


TOY_BASES = {"toy": ToyBase(), "toy-smoke": ToyBase(pretrain_steps=2, widths=(16, 32))}
