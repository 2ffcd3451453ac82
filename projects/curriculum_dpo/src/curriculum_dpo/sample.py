"""`python -m curriculum_dpo.sample --lora <run>/lora --prompts red blue`: a grid of samples of
each prompt without and with a trained LoRA, from the same seeds (rows: prompt × {base, LoRA};
columns: seeds), written as a PNG. ``--sampler lcm`` samples a latent consistency model (with
``--steps 8 --guidance 8.5``, the official LCM settings)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import torch

from curriculum_dpo.bases import SamplerName, freeze, load_base, sample_images

LORA_FILE = "pytorch_lora_weights.safetensors"


def render(
    base: str,
    lora: str | Path,
    prompts: Sequence[str],
    *,
    per_prompt: int = 4,
    steps: int = 10,
    guidance: float = 7.5,
    seed: int = 0,
    sampler: SamplerName = "ddim",
) -> torch.Tensor:
    """``[2 · len(prompts) · per_prompt, 3, H, W]`` images: for each prompt, the base's row then
    the LoRA's row, sample k of both from the seed ``seed + k``."""
    parts = freeze(load_base(base, field="--base"))

    def row(prompt: str) -> torch.Tensor:
        images = []
        for k in range(per_prompt):
            generator = torch.Generator().manual_seed(seed + k)
            images.append(
                sample_images(
                    parts,
                    parts.unet,
                    [prompt],
                    steps=steps,
                    guidance=guidance,
                    generator=generator,
                    sampler=sampler,
                )
            )
        return torch.cat(images)

    base_rows = [row(p) for p in prompts]
    parts.unet.load_lora_adapter(str(lora), weight_name=LORA_FILE, prefix="unet")
    lora_rows = [row(p) for p in prompts]
    return torch.cat([r for pair in zip(base_rows, lora_rows, strict=True) for r in pair])


def main(argv: Sequence[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lora", required=True, help="a folder holding " + LORA_FILE)
    parser.add_argument("--base", default="toy", help="the base the LoRA was trained on")
    parser.add_argument("--prompts", nargs="+", default=["red", "green", "blue", "yellow"])
    parser.add_argument("--per_prompt", type=int, default=4)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--guidance", type=float, default=7.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sampler", choices=["ddim", "lcm"], default="ddim",
                        help="lcm for a latent consistency model (LCM Dreamshaper)")  # fmt: skip
    parser.add_argument("--out", type=Path, default=Path("samples.png"))
    args = parser.parse_args(argv)
    from torchvision.utils import save_image

    settings = {"steps": args.steps, "guidance": args.guidance, "seed": args.seed,
                "sampler": args.sampler}  # fmt: skip
    images = render(args.base, args.lora, args.prompts, per_prompt=args.per_prompt, **settings)
    save_image(images, args.out, nrow=args.per_prompt, padding=1)
    print(f"{args.out}: rows = each prompt without, then with the LoRA; columns = seeds")
    return args.out


if __name__ == "__main__":
    main()
