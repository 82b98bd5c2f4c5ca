"""Detector-like corruption of projected 2D keypoints.

Real 2D detectors are not projected markers: they jitter frame to frame, drift slowly,
lose joints for a few frames, and confuse left and right limbs (most often in side
views). Training on such inputs makes the lifter robust to them.
"""
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from ..skeleton import runningpose19

# limb chains that a detector swaps together (names in runningpose19)
_SWAP_CHAINS = (('hip', 'knee', 'ankle', 'forefoot'), ('shoulder', 'elbow', 'wrist'),
                ('ankle', 'forefoot'), ('knee', 'ankle', 'forefoot'))


@dataclass
class DetectorNoiseConfig:
    """Noise model, sizes relative to the person's height in the image.

    Attributes:
        jitter_frac (float): SD of independent per-frame jitter.
        drift_frac (float): SD of slowly varying (about 0.5 s) per-joint offset.
        foot_noise_scale (float): extra factor on ankles and forefeet (small, fast,
            often blurred in video).
        missing_rate (float): per joint and frame, chance that a dropout starts.
        missing_frames (tuple): dropout length range, frames.
        swap_rate (float): per frame, chance that a left/right limb swap starts.
        swap_frames (tuple): swap length range, frames.
        far_side_noise_scale (float): extra factor on the jitter and drift of limb
            joints hidden behind the body (farther from the camera than their mirror
            joint by more than ``far_side_min_depth_m``): in a side view detectors guess
            the far arm and leg, with low scores, in nearly every frame.
        far_side_min_depth_m (float): depth difference that makes a joint "far side".
        offset_frac (float): SD of a constant per-joint offset over the whole sequence:
            detectors place a keypoint consistently off the joint centre (their
            annotators' idea of it, clothing).
        hip_offset_frac (float): the same for the hips, whose detector points are known
            to sit well away from the hip joint centres.
        far_side_length_frac (float): SD of a per-sequence relative error of each far-side
            limb segment's 2D length (upper arm, forearm, thigh, shank, foot), where the
            segment's end is far side: a detector guessing a hidden limb gets its length
            wrong consistently. Measured on the real treadmill clip (MediaPipe, side
            view; medians over the clip, far against near side): upper arm +9 %, forearm
            -2 %, thigh -5 %, shank -10 %, foot -11 %, where perspective alone (the far
            limbs 6-9 cm deeper for the legs, about 20 cm for the arms, a phone about 3 m
            away) makes them 2-3 % (legs) and 6-8 % (arms) shorter. Off by default:
            trained with 0.08 (the release's recipe, seeds 0 and 1), Tindra2 MPJPE 59.5 /
            51.3 mm clean (the recipe without: 48.7-54.9 over five trainings) and on the
            real clip left/right feet 15 / 7 % apart, upper arms 10 / 20 % (without:
            feet 2-25 %, upper arms 5-21 %): no clear gain.
        far_arm_copy_prob (float): chance per sequence that the far-side arm, where
            hidden, is drawn as the detector guesses it: the near arm's upper arm and
            forearm (2D segments) hung from the far shoulder, so both arms swing
            together. Measured on the real treadmill clip (MediaPipe, side view): the
            hidden arm's 2D segments point within 15 (upper arm) and 17 deg (forearm) of
            the seen arm's (median over the clip; thighs 23, shanks 38 deg apart), its
            wrist's forward motion correlates +0.57 with the seen wrist's where a
            runner's arms swing in opposition (knees -0.82). Lifters trained without
            such views lift the copy at face value: arms 13-17 % apart left/right. Off
            by default: trained with 0.5 and 1 (seen flags, 320 real views) the clip's
            arms were still 11-18 % apart and the held-out Tindra2 no better (README,
            "Further levers").
    """
    jitter_frac: float = 0.006
    drift_frac: float = 0.008
    foot_noise_scale: float = 1.5
    missing_rate: float = 0.003
    missing_frames: Tuple[int, int] = (1, 8)
    swap_rate: float = 0.004
    swap_frames: Tuple[int, int] = (2, 10)
    far_side_noise_scale: float = 2.5
    far_side_min_depth_m: float = 0.08
    offset_frac: float = 0.012
    hip_offset_frac: float = 0.03
    far_side_length_frac: float = 0.0
    far_arm_copy_prob: float = 0.0


def corrupt_keypoints_2d(keypoints: np.ndarray, visible: np.ndarray, fps: float,
                         rng: np.random.Generator,
                         config: DetectorNoiseConfig = DetectorNoiseConfig(),
                         depth: Optional[np.ndarray] = None):
    """Corrupt clean 2D keypoints like a detector would.

    Args:
        keypoints (np.ndarray): (T, 19, 2) pixels.
        visible (np.ndarray): (T, 19) bool, joints present in the clean input.
        fps (float): frame rate (sets the drift's time scale).
        rng (np.random.Generator): seeded randomness.
        config (DetectorNoiseConfig): noise sizes.
        depth (np.ndarray, optional): (T, 19) camera-frame depth of every joint, metres:
            marks the far-side limb joints (more noise, low scores, positions kept).

    Returns:
        tuple: noisy keypoints (T, 19, 2) pixels and scores (T, 19) in [0, 1]: about 0.9
        for clean joints, below 0.3 during dropouts (position held from the last
        detection, as trackers do), 0 where the clean input had no joint.
    """
    skeleton = runningpose19()
    num_frames, num_joints, _ = keypoints.shape
    out = keypoints.astype(np.float64).copy()
    valid = np.isfinite(out).all(axis=-1) & visible
    heights = []
    for t in range(0, num_frames, max(1, num_frames // 20)):
        if valid[t].sum() >= 2:
            heights.append(np.ptp(out[t, valid[t], 1]))
    person_px = float(np.median(heights)) if heights else 100.0
    scale = np.ones((num_frames, num_joints))
    feet = [skeleton.index(n) for n in ('left_ankle', 'right_ankle', 'left_forefoot',
                                        'right_forefoot')]
    scale[:, feet] = config.foot_noise_scale
    far = np.zeros((num_frames, num_joints), bool)
    if depth is not None:
        mirror = np.asarray(skeleton.flip_indices)
        with np.errstate(invalid='ignore'):
            far = (depth - depth[:, mirror]) > config.far_side_min_depth_m
        scale = np.where(far, scale * config.far_side_noise_scale, scale)
        if config.far_side_length_frac > 0:
            out = _far_side_lengths(out, far, rng, config.far_side_length_frac)
        if config.far_arm_copy_prob > 0 and rng.random() < config.far_arm_copy_prob:
            out = _far_arm_copies_near_arm(out, far)
    jitter = rng.normal(0, config.jitter_frac * person_px, out.shape) * scale[..., None]
    drift = _smooth_noise(rng, num_frames, num_joints, max(1, int(0.5 * fps))) * \
        config.drift_frac * person_px * scale[..., None]
    offset_sd = np.full(num_joints, config.offset_frac)
    offset_sd[[skeleton.index('left_hip'), skeleton.index('right_hip')]] = config.hip_offset_frac
    offset = rng.normal(0, 1, (num_joints, 2)) * offset_sd[:, None] * person_px
    out += jitter + drift + offset[None]
    scores = np.where(valid, np.clip(rng.normal(0.9, 0.05, valid.shape), 0.5, 1.0), 0.0)
    scores = np.where(far & valid, rng.uniform(0.02, 0.3, valid.shape), scores)

    # left/right swaps of whole limb chains
    starts = np.flatnonzero(rng.random(num_frames) < config.swap_rate)
    for start in starts:
        chain = _SWAP_CHAINS[rng.integers(len(_SWAP_CHAINS))]
        length = rng.integers(config.swap_frames[0], config.swap_frames[1] + 1)
        frames = slice(start, min(num_frames, start + length))
        left = [skeleton.index(f'left_{n}') for n in chain]
        right = [skeleton.index(f'right_{n}') for n in chain]
        out[frames, left + right] = out[frames, right + left]
        scores[frames, left + right] *= 0.8

    # dropouts: low score, position held from the last frame before
    for j in range(num_joints):
        starts = np.flatnonzero(rng.random(num_frames) < config.missing_rate)
        for start in starts:
            length = rng.integers(config.missing_frames[0], config.missing_frames[1] + 1)
            stop = min(num_frames, start + length)
            held = out[start - 1, j] if start > 0 else out[start, j]
            out[start:stop, j] = held
            scores[start:stop, j] = rng.uniform(0.0, 0.3, stop - start)
    out[~valid] = np.nan
    return out, scores


#: limb segments (parent, child) in chain order, whose far-side 2D lengths are guessed
_LIMB_SEGMENTS = (('shoulder', 'elbow'), ('elbow', 'wrist'), ('hip', 'knee'),
                  ('knee', 'ankle'), ('ankle', 'forefoot'))


def _far_side_lengths(keypoints, far, rng, sd):
    """Each segment whose end is far side (per frame) gets a 2D length error that is
    constant over the sequence (factor 1 + N(0, sd), within 0.7-1.3); the rest of the
    chain follows its parent (``Skeleton.scale_bones``), so an error in the upper arm
    moves the wrist too."""
    skeleton = runningpose19()
    factors = {}
    for side in ('left', 'right'):
        for parent, child in _LIMB_SEGMENTS:
            p, c = skeleton.index(f'{side}_{parent}'), skeleton.index(f'{side}_{child}')
            factor = float(np.clip(1 + rng.normal(0, sd), 0.7, 1.3))
            factors[(p, c)] = np.where(far[:, c], factor, 1.0)
    return skeleton.scale_bones(keypoints, factors)


def _far_arm_copies_near_arm(keypoints, far):
    """Where an elbow or wrist is far side, its arm's 2D segments (shoulder -> elbow ->
    wrist) become the mirror arm's, hung from its own shoulder."""
    skeleton = runningpose19()
    out = keypoints.copy()
    for side, other in (('left', 'right'), ('right', 'left')):
        shoulder, elbow, wrist = (skeleton.index(f'{side}_{j}')
                                  for j in ('shoulder', 'elbow', 'wrist'))
        near = [skeleton.index(f'{other}_{j}') for j in ('shoulder', 'elbow', 'wrist')]
        hidden = far[:, elbow] | far[:, wrist]
        upper = keypoints[:, near[1]] - keypoints[:, near[0]]
        fore = keypoints[:, near[2]] - keypoints[:, near[1]]
        out[hidden, elbow] = keypoints[hidden, shoulder] + upper[hidden]
        out[hidden, wrist] = out[hidden, elbow] + fore[hidden]
    return out


def _smooth_noise(rng, num_frames, num_joints, window):
    """(T, K, 2) zero-mean noise with unit SD and a correlation time of ``window`` frames."""
    raw = rng.normal(size=(num_frames + 2 * window, num_joints, 2))
    kernel = np.hanning(2 * window + 1)
    kernel /= np.sqrt(np.sum(kernel**2))
    smooth = np.apply_along_axis(lambda x: np.convolve(x, kernel, mode='same'), 0, raw)
    return smooth[window:window + num_frames]
