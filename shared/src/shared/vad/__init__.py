"""Video anomaly detection building blocks shared by the VAD projects.

Dataset loaders and conversion commands (``datasets``, ``convert``), the temporal filter and
frame metrics (``filters``, ``metrics``, ``evaluation``), the video evaluator a module feeds
per batch and computes per epoch (``evaluator``), region/track metrics and their files
(``rbdc``, ``tracks_io``), the procedural ShapesVAD benchmark with pasted anomalies
(``shapes``) and simple baselines with their evaluation (``baselines``). Frames/s are measured
with ``shared.bench.Throughput(..., unit="frames/s", inference=True)``: pre-built tensors,
inference mode, warm-up, the median with a bootstrap interval, CUDA synchronised.
"""
