"""The lifter's input encoding, with an optional per-keypoint "guessed" flag.

In a side view, the usual running video, the far arm (and often the far leg) is hidden
behind the body: every detector still places it, with a low score, and the placement
is a guess. A lifter that sees only positions cannot tell a guessed far arm from a
seen one and lifts the guess at face value (on the real treadmill clip MediaPipe's
hidden arm is drawn 9 % longer than the seen one, and lifters trained with more real
views lift it 13-17 % longer). With ``confidence_threshold`` set, every keypoint gets a
third input channel: 1 where its score is above the threshold (seen), 0 where it is at
or below it (a guess, or a gap filled by interpolation). A flag rather than the score
itself: detectors' scores are not calibrated alike (MediaPipe's visibility, RTMPose's
heatmap peaks, the training data's simulated scores), but "below 0.3" means "not
really seen" for all of them.
"""
from typing import Optional

import numpy as np

from mmpose.codecs import VideoPoseLifting
from mmpose.registry import KEYPOINT_CODECS

#: A detector's keypoint with a score above this was seen; at or below it, guessed (the
#: training data's detector-like 2D scores its hidden far-side limbs 0.02-0.3,
#: ``mocap/corruption.py``). A seen-flag lifter's config sets its own threshold.
SEEN_SCORE = 0.3


def seen_flags(scores: np.ndarray, threshold: float) -> np.ndarray:
    """1.0 where a keypoint's score is above ``threshold``, else 0.0 (float32)."""
    return (np.asarray(scores) > threshold).astype(np.float32)


def lifter_inputs(normalized: np.ndarray, scores: Optional[np.ndarray],
                  threshold: Optional[float]) -> np.ndarray:
    """(T, K, 2) normalised 2D -> the lifter's (T, K, C) input: the positions, and with a
    ``threshold`` their seen flags (no ``scores``: every keypoint seen, as in clean 2D)."""
    if threshold is None:
        return normalized
    if scores is None:
        scores = np.ones(normalized.shape[:2], np.float32)
    if np.shape(scores) != normalized.shape[:2]:
        raise ValueError(f'scores of shape {np.shape(scores)} for keypoints of shape '
                         f'{normalized.shape}: one score per keypoint and frame')
    return np.concatenate([normalized, seen_flags(scores, threshold)[..., None]], axis=-1)


@KEYPOINT_CODECS.register_module()
class RunningPoseLifting(VideoPoseLifting):
    """MMPose's ``VideoPoseLifting`` with the optional seen flag as a third channel.

    Args:
        confidence_threshold (float, optional): scores above it are seen keypoints. None
            (default): positions only, exactly ``VideoPoseLifting``.
        Other arguments: see ``mmpose.codecs.VideoPoseLifting`` (``concat_vis`` is set
        from ``confidence_threshold``).
    """

    def __init__(self, confidence_threshold: Optional[float] = None, **kwargs):
        kwargs.pop('concat_vis', None)
        super().__init__(concat_vis=confidence_threshold is not None, **kwargs)
        self.confidence_threshold = confidence_threshold

    def encode(self, keypoints, keypoints_visible=None, lifting_target=None,
               lifting_target_visible=None, camera_param=None) -> dict:
        if self.confidence_threshold is not None and keypoints_visible is not None:
            keypoints_visible = seen_flags(keypoints_visible, self.confidence_threshold)
        return super().encode(keypoints, keypoints_visible, lifting_target,
                              lifting_target_visible, camera_param)


def confidence_threshold(model_cfg: dict) -> Optional[float]:
    """The seen-flag threshold of a lifter's model config (its head's decoder), or None."""
    decoder = (model_cfg.get('head') or {}).get('decoder') or {}
    value = decoder.get('confidence_threshold')
    return None if value is None else float(value)
