from typing import Dict

import numpy as np
from mmcv.transforms import BaseTransform

from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class RandomFlipSequence(BaseTransform):
    """Mirror a 2D sequence and its 3D target as if the scene were seen in a mirror.

    MMPose's shipped TCN configs flip pixel x around 0.5 before normalisation, which
    moves the runner out of the image and breaks the 2D/3D correspondence. Here the
    mirror is the vertical line through the camera's principal point ``c_x`` (the image
    centre ``w / 2`` when no ``c`` is known): pixels go to ``2 c_x - x``, camera-frame 3D
    goes to ``-X``, and left/right joints swap. That is the exact projection of the
    mirrored 3D scene, so 2D and 3D stay consistent.

    Args:
        flip_prob (float): probability of flipping a sample. Default: 0.5.

    Required keys: ``keypoints`` (T, K, 2) pixels, ``lifting_target`` (T', K, 3) camera
    frame, ``flip_indices``, ``camera_param`` (``w`` and/or ``c``). Optional:
    ``keypoints_visible``, ``lifting_target_visible``.
    Modified keys: the above, and ``flipped`` (added).
    """

    def __init__(self, flip_prob: float = 0.5):
        if not 0 <= flip_prob <= 1:
            raise ValueError(f'flip_prob must be in [0, 1], got {flip_prob}')
        self.flip_prob = flip_prob

    @staticmethod
    def mirror_x(camera_param: dict) -> float:
        if 'c' in camera_param:
            return float(np.asarray(camera_param['c']).reshape(-1)[0])
        if 'w' in camera_param:
            return 0.5 * float(camera_param['w'])
        raise KeyError('RandomFlipSequence needs camera_param with "c" or "w"')

    def transform(self, results: Dict) -> Dict:
        flip = np.random.rand() < self.flip_prob
        results['flipped'] = bool(flip)
        if not flip:
            return results
        flip_indices = np.asarray(results['flip_indices'])
        cx = self.mirror_x(results['camera_param'])

        keypoints = results['keypoints'][..., flip_indices, :].copy()
        keypoints[..., 0] = 2 * cx - keypoints[..., 0]
        results['keypoints'] = keypoints
        target = results['lifting_target'][..., flip_indices, :].copy()
        target[..., 0] *= -1
        results['lifting_target'] = target
        for key in ('keypoints_visible', 'lifting_target_visible'):
            if key in results:
                results[key] = results[key][..., flip_indices].copy()
        camera = dict(results['camera_param'])
        if 'p' in camera:
            # x -> -x keeps p1 and negates p2 in the Brown-Conrady model
            p = np.asarray(camera['p'], dtype=np.float32).copy().reshape(-1)
            p[1] = -p[1]
            camera['p'] = p
        results['camera_param'] = camera
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(flip_prob={self.flip_prob})'
