"""An out-of-distribution deepfake benchmark for image, audio and audio-visual detectors."""
