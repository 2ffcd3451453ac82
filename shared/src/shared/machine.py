"""What a number was measured on: CPU, cores, GPU, torch, threads, load."""

from __future__ import annotations

import os
import platform
from pathlib import Path
from typing import Any

import torch


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def describe_machine() -> dict[str, Any]:
    """A record of the hardware and software a measurement ran on."""
    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "gpu": gpu,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "load_avg_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
    }


def machine_label(machine: dict[str, Any]) -> str:
    """One line for tables: GPU name if any, else CPU model and core count."""
    if machine.get("gpu"):
        return f"{machine['gpu']} (torch {machine['torch']})"
    return f"{machine['cpu']}, {machine['cores']} cores, {machine['threads']} thread(s) (torch {machine['torch']})"
