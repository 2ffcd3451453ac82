"""DFB-Synth's audio track: espeak-ng bona fide speech, vocoder spoofers S01-S04, and the
ASVspoof-2019-style tree they are written as."""
