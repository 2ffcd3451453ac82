"""Curriculum DPO for diffusion and consistency models."""
