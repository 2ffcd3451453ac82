"""Video anomaly detection building blocks shared by the VAD projects.

Dataset loaders and conversion commands (``datasets``, ``convert``), the temporal filter and
frame metrics (``filters``, ``metrics``, ``evaluation``), region/track metrics and their files
(``rbdc``, ``tracks_io``), the procedural ShapesVAD benchmark with pasted anomalies
(``shapes``), simple baselines (``baselines``) and the FPS harness (``fps``).
"""
