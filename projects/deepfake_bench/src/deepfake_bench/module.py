"""The LightningModule of An out-of-distribution deepfake benchmark for image, audio and audio-visual detectors: replace `compute_loss` / add callbacks for the method."""

from shared.classification import ImageClassifier


class Classifier(ImageClassifier):
    """Cross-entropy on the digits protocol until the method is implemented."""
