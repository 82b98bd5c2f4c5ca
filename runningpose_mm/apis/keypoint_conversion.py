"""2D keypoints of foot-aware detectors -> runningpose19, one table per source.

Each runningpose19 joint is a weighted mean of source keypoints, named as in the source's
keypoint list. The tables make the points that ``configs/_base_/datasets/runningpose19.py``
defines (``joint_definitions``), as the marker maps and the synthetic runner do:
pelvis = mid-hips, thorax = mid-shoulders, spine halfway, head = mid-ears, neck base
halfway between thorax and head, forefoot on the heel -> big-toe-tip line at the
skeleton's ``forefoot_fraction`` (over the metatarsal heads; detectors have no
metatarsal-head keypoint, and the toe tips lie several centimetres further forward).

Sources: MMPose's Halpe-26 and COCO-WholeBody (names from their metainfo files) and
MediaPipe Pose / BlazePose 33 landmarks (names below; its ``foot_index`` is the toe tip).

MMPose's ``convert_keypoint_definition`` only knows COCO-like -> H36M; ``register()``
extends it (and the copies MMPose's 3D inferencer and 3D visualizer imported) to
``runningpose19``, leaving its other conversions untouched.
"""
import functools
from typing import Dict, List

import numpy as np

from ..skeleton import runningpose19

#: MediaPipe Pose / BlazePose landmark names in index order (33)
MEDIAPIPE33_NAMES = (
    'nose', 'left_eye_inner', 'left_eye', 'left_eye_outer', 'right_eye_inner', 'right_eye',
    'right_eye_outer', 'left_ear', 'right_ear', 'mouth_left', 'mouth_right',
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist',
    'right_wrist', 'left_pinky', 'right_pinky', 'left_index', 'right_index', 'left_thumb',
    'right_thumb', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle',
    'right_ankle', 'left_heel', 'right_heel', 'left_foot_index', 'right_foot_index')

_TORSO_HEAD = {
    'root': {'left_hip': 0.5, 'right_hip': 0.5},
    'thorax': {'left_shoulder': 0.5, 'right_shoulder': 0.5},
    'spine': {'left_hip': 0.25, 'right_hip': 0.25, 'left_shoulder': 0.25,
              'right_shoulder': 0.25},
    'head': {'left_ear': 0.5, 'right_ear': 0.5},
    'neck_base': {'left_shoulder': 0.25, 'right_shoulder': 0.25, 'left_ear': 0.25,
                  'right_ear': 0.25},
}
_LIMBS = {f'{side}_{joint}': {f'{side}_{joint}': 1.0}
          for side in ('left', 'right')
          for joint in ('hip', 'knee', 'ankle', 'shoulder', 'elbow', 'wrist')}


def _forefeet(toe_tip: str) -> Dict[str, Dict[str, float]]:
    """Forefoot = heel + forefoot_fraction x (toe tip - heel), per side."""
    f = runningpose19().forefoot_fraction
    return {f'{side}_forefoot': {f'{side}_heel': 1.0 - f, f'{side}_{toe_tip}': f}
            for side in ('left', 'right')}


#: source keypoint set -> runningpose19 joint -> {source keypoint name: weight}
CONVERSION_TABLES: Dict[str, Dict[str, Dict[str, float]]] = {
    'halpe26': {**_TORSO_HEAD, **_LIMBS, **_forefeet('big_toe')},
    'coco_wholebody': {**_TORSO_HEAD, **_LIMBS, **_forefeet('big_toe')},
    'mediapipe33': {**_TORSO_HEAD, **_LIMBS, **_forefeet('foot_index')},
}
#: keypoint names of sources that MMPose has no metainfo file for
_BUILTIN_NAMES = {'mediapipe33': MEDIAPIPE33_NAMES}
_FOOTLESS = ('coco', 'posetrack18', 'aic', 'crowdpose', 'mpii', 'h36m')


class NoFootKeypointsError(ValueError):
    """A 2D keypoint set without toes: runningpose19's forefeet cannot be made."""


@functools.lru_cache(maxsize=None)
def source_keypoint_names(dataset: str) -> List[str]:
    """Keypoint names of a source keypoint set, in index order (MMPose's metainfo file,
    or the built-in list for sets MMPose does not ship)."""
    if dataset in _BUILTIN_NAMES:
        return list(_BUILTIN_NAMES[dataset])
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    info = parse_pose_metainfo(dict(from_file=f'configs/_base_/datasets/{dataset}.py'))
    return [info['keypoint_id2name'][i] for i in range(info['num_keypoints'])]


@functools.lru_cache(maxsize=None)
def conversion_matrix(dataset: str) -> np.ndarray:
    """(19, K_src) weights: runningpose19 = matrix @ source keypoints."""
    if dataset == 'runningpose19':
        return np.eye(19)
    if dataset not in CONVERSION_TABLES:
        if dataset in _FOOTLESS:
            raise NoFootKeypointsError(
                f'the 2D keypoints are {dataset!r}, which has no toes: runningpose19 needs '
                'the forefeet. Use a 2D model with foot keypoints: Halpe-26 (body26 RTMPose, '
                'the default) or COCO-WholeBody.')
        raise ValueError(f'no runningpose19 conversion from {dataset!r}; known: '
                         f'{sorted(CONVERSION_TABLES) + ["runningpose19"]}')
    names = source_keypoint_names(dataset)
    table = CONVERSION_TABLES[dataset]
    matrix = np.zeros((19, len(names)))
    for j, joint in enumerate(runningpose19().names):
        for source, weight in table[joint].items():
            matrix[j, names.index(source)] = weight
    return matrix


def to_runningpose19(keypoints: np.ndarray, scores: np.ndarray, dataset: str):
    """Convert 2D keypoints and scores to runningpose19.

    Args:
        keypoints (np.ndarray): (..., K_src, 2) pixels.
        scores (np.ndarray): (..., K_src) confidences.
        dataset (str): source keypoint set ('halpe26', 'coco_wholebody', 'mediapipe33').

    Returns:
        tuple: (..., 19, 2) keypoints and (..., 19) scores; a derived joint's score is the
        lowest score of the keypoints it is made from.
    """
    matrix = conversion_matrix(dataset)
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.shape[-2] != matrix.shape[1]:
        raise ValueError(f'{dataset} has {matrix.shape[1]} keypoints, got '
                         f'{keypoints.shape[-2]}')
    out = np.einsum('jk,...kc->...jc', matrix, keypoints)
    used = matrix > 0
    scores = np.asarray(scores, dtype=np.float64)
    out_scores = np.stack([scores[..., used[j]].min(axis=-1) for j in range(19)], axis=-1)
    return out, out_scores


def register() -> bool:
    """Teach MMPose's ``convert_keypoint_definition`` the runningpose19 target (in
    ``mmpose.apis`` and where the 3D inferencer and visualizer imported it)."""
    import mmpose.apis as apis
    from mmpose.apis import inference_3d
    from mmpose.apis.inferencers import pose3d_inferencer
    from mmpose.visualization import local_visualizer_3d

    original = inference_3d.convert_keypoint_definition
    if getattr(original, '_runningpose19', False):
        return False

    @functools.wraps(original)
    def convert_keypoint_definition(keypoints, pose_det_dataset, pose_lift_dataset):
        if pose_lift_dataset != 'runningpose19':
            return original(keypoints, pose_det_dataset, pose_lift_dataset)
        keypoints = np.asarray(keypoints)
        matrix = conversion_matrix(pose_det_dataset)
        # MMPose passes (N, K, C): coordinates and/or scores in the last axis
        out = np.einsum('jk,nkc->njc', matrix, keypoints.astype(np.float64))
        return out.astype(keypoints.dtype)

    convert_keypoint_definition._runningpose19 = True
    for module in (inference_3d, apis, pose3d_inferencer, local_visualizer_3d):
        module.convert_keypoint_definition = convert_keypoint_definition
    return True
