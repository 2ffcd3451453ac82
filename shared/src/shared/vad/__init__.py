"""Video anomaly detection building blocks shared by the VAD projects.

Dataset loaders and conversion commands (``datasets``, ``convert``), the temporal filter and
frame metrics (``filters``, ``metrics``), region/track metrics (``rbdc``), the procedural
ShapesVAD benchmark with pasted anomalies (``shapes``), simple baselines (``baselines``) and
the FPS harness (``fps``).
"""
