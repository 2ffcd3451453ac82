"""What two or more projects use: paths, runtime, datasets, backbones, results, benchmarks, CLI.

Importing ``shared`` is cheap: every submodule is imported where it is used.
"""
