"""Curriculum by Masking (CBM)."""
