"""Audio-visual detectors on FakeAVCeleb-shaped clips: uint8 video (B, T, 3, H, W) at 25 fps
and float32 16 kHz audio (B, S), ``forward(video, audio)`` -> one fused "fake" logit per clip.

``av_late_fusion`` (a video and an audio detector, each trained on its own modality's label,
fused by a logistic regression), ``sync_lite`` (SyncNet's idea: audio-visual distance, learnt
self-supervised on real clips only) and ``mrdf_lite`` (MRDF: two encoders, a fusion
transformer, three heads and the cross-modal cosine term). All share :class:`.base.AVDetector`.
"""
