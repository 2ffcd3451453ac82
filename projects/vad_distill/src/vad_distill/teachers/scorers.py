"""The two object-level teachers fitted here: a motion model (k-NN distance of velocity and
size to the training objects) and an appearance model (PCA reconstruction error of a crop)."""

from __future__ import annotations

import cv2
import numpy as np
from scipy.spatial import cKDTree

from vad_distill.teachers.proposals import ObjectProposal


class MotionTeacher:
    """Feature (v_x, v_y, w, h), standardised on the training objects; score = mean distance to
    the ``k`` nearest training objects."""

    name = "motion"

    def __init__(self, k: int = 5) -> None:
        self.k = k

    @staticmethod
    def features(objects: list[ObjectProposal], frames: np.ndarray) -> np.ndarray:
        rows = [(o.velocity[1], o.velocity[0], *o.size) for o in objects]
        return np.asarray(rows, np.float64).reshape(-1, 4)

    def fit(self, features: np.ndarray) -> MotionTeacher:
        self.mean, self.std = features.mean(0), features.std(0) + 1e-6
        self.tree = cKDTree((features - self.mean) / self.std)
        return self

    def score(self, features: np.ndarray) -> np.ndarray:
        if len(features) == 0:
            return np.zeros(0)
        k = min(self.k, self.tree.n)
        distances, _ = self.tree.query((features - self.mean) / self.std, k=k)
        return distances.reshape(len(features), k).mean(1)


class AppearanceTeacher:
    """Grey crop of the box resized to ``crop`` x ``crop``; PCA with ``components`` axes fitted
    on training crops; score = mean squared reconstruction error."""

    name = "appearance"

    def __init__(self, crop: int = 12, components: int = 8) -> None:
        self.crop, self.components = crop, components

    def crop_of(self, frame: np.ndarray, obj: ObjectProposal) -> np.ndarray:
        x0, y0, x1, y1 = obj.box
        patch = frame[y0 : y1 + 1, x0 : x1 + 1].astype(np.float32)
        return cv2.resize(patch, (self.crop, self.crop), interpolation=cv2.INTER_AREA).ravel()

    def features(self, objects: list[ObjectProposal], frames: np.ndarray) -> np.ndarray:
        rows = [self.crop_of(frames[o.frame], o) for o in objects]
        return np.asarray(rows, np.float64).reshape(-1, self.crop * self.crop)

    def fit(self, features: np.ndarray) -> AppearanceTeacher:
        self.mean = features.mean(0)
        centred = features - self.mean
        _, vectors = np.linalg.eigh(centred.T @ centred)  # ascending eigenvalues
        self.axes = vectors[:, ::-1][:, : self.components].T
        return self

    def score(self, features: np.ndarray) -> np.ndarray:
        centred = features - self.mean
        residual = centred - centred @ self.axes.T @ self.axes
        return (residual**2).mean(1)


TEACHERS = {"motion": MotionTeacher, "appearance": AppearanceTeacher}
