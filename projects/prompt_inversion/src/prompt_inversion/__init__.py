"""Reverse Stable Diffusion: predicting the prompt of a generated image."""
