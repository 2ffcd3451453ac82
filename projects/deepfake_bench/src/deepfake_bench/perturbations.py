"""Test-time perturbations of the robustness protocol (spec §6): JPEG, blur, resize.

Names: ``jpeg<q>`` (re-encode at quality q, e.g. ``jpeg70``), ``blur<σ>`` (Gaussian, e.g.
``blur0.5``), ``resize<f>`` (area-downsample by f, then bilinear back to size, e.g.
``resize0.5``). Deterministic: the same input gives the same output.
"""

from __future__ import annotations

import re

import cv2
import numpy as np
import torch
from torch import Tensor

from shared.errors import ConfigError

PATTERN = re.compile(r"^(jpeg|blur|resize)(\d+(?:\.\d+)?)$")
FIELD = "model.init_args.test_perturbations"


def parse(name: str) -> tuple[str, float]:
    match = PATTERN.match(name)
    if not match:
        raise ConfigError(FIELD, name, "jpeg<quality>, blur<sigma> or resize<factor>")
    kind, value = match.group(1), float(match.group(2))
    if (kind == "jpeg" and not 1 <= value <= 100) or (kind == "resize" and not 0 < value < 1):
        raise ConfigError(FIELD, name, "a JPEG quality in 1..100 or a resize factor in (0, 1)")
    return kind, value


def perturb_image(image: np.ndarray, name: str) -> np.ndarray:
    """One uint8 HWC image perturbed as ``name`` says."""
    kind, value = parse(name)
    if kind == "jpeg":
        _, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(value)])
        return cv2.imdecode(encoded, cv2.IMREAD_UNCHANGED).reshape(image.shape)
    if kind == "blur":
        return cv2.GaussianBlur(image, (0, 0), sigmaX=value, sigmaY=value)
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(1, round(w * value)), max(1, round(h * value))),
                       interpolation=cv2.INTER_AREA)  # fmt: skip
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR).reshape(image.shape)


def perturb(images: Tensor, name: str) -> Tensor:
    """uint8 (B, C, H, W) -> the same shape, every image perturbed."""
    arrays = images.permute(0, 2, 3, 1).cpu().numpy()
    out = np.stack([perturb_image(np.ascontiguousarray(a), name) for a in arrays])
    return torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()
