"""Loaders of the on-disk layouts the benchmark reads, and the DataModules."""
