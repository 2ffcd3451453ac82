"""Audio detectors (spoofed-speech countermeasures) on float32 16 kHz waveforms (B, T).

``lfcc_gmm`` and ``lfcc_lcnn`` (the ASVspoof 2021 LFCC baselines), ``rawnet2_lite`` and
``aasist_lite`` (raw-waveform models with a learnable sinc front end). All share
:class:`.base.AudioDetector`: its ``augment`` takes the training batch as float32 (B, T)
waveforms and returns seeded random 1-s crops (repeat-padded when shorter).
"""
