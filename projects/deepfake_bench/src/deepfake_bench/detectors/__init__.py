"""Detectors: plain ``nn.Module`` s returning one "fake" logit per item (see :mod:`.base`)."""
