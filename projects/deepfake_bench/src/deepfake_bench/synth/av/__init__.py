"""DFB-Synth's audio-visual track: a procedural talking face, seven manipulations, and the
FakeAVCeleb-layout tree they are written as."""
