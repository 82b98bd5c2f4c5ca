"""The runningpose19 skeleton, read from its one definition file.

The keypoints are defined in ``configs/_base_/datasets/runningpose19.py`` (MMPose's
``dataset_info`` format). Everything in the package reads names, flip pairs and links
from there through this module.
"""
import os.path as osp
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

import numpy as np

_PACKAGE_DIR = osp.dirname(osp.abspath(__file__))
_CANDIDATE_CONFIG_DIRS = (
    osp.join(osp.dirname(_PACKAGE_DIR), 'configs'),  # source checkout / editable install
    osp.join(_PACKAGE_DIR, '.mim', 'configs'),  # wheel install (setup.py copies configs)
)


def config_dir() -> str:
    """Directory holding the plugin's configs (``_base_/datasets/runningpose19.py``)."""
    for candidate in _CANDIDATE_CONFIG_DIRS:
        if osp.isfile(osp.join(candidate, '_base_', 'datasets', 'runningpose19.py')):
            return candidate
    raise FileNotFoundError(
        'runningpose_mm configs not found; looked in: ' + ', '.join(_CANDIDATE_CONFIG_DIRS))


def metainfo_file() -> str:
    """Path of ``runningpose19.py``, the skeleton definition."""
    return osp.join(config_dir(), '_base_', 'datasets', 'runningpose19.py')


def metainfo() -> dict:
    """The skeleton in MMPose's parsed metainfo form (``flip_indices`` etc.)."""
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    return parse_pose_metainfo(dict(from_file=metainfo_file()))


@dataclass(frozen=True)
class Skeleton:
    """A small skeleton object (names, parents, left/right) used across the package.

    Attributes:
        names (tuple[str]): keypoint names in index order.
        links (tuple[tuple[int, int]]): (parent, child) index pairs, as in the metainfo.
        flip_indices (tuple[int]): index of each keypoint's mirror image.
        definitions (tuple[str]): what anatomical point each keypoint is (every source
            of keypoints follows it).
        forefoot_fraction (float): where the forefoot lies on the heel -> toe-tip line
            (0 heel, 1 toe tip): how 2D keypoint sets without a metatarsal-head point
            make the forefoot.
    """
    names: Tuple[str, ...]
    links: Tuple[Tuple[int, int], ...]
    flip_indices: Tuple[int, ...]
    definitions: Tuple[str, ...] = ()
    forefoot_fraction: float = 0.70

    @property
    def num_keypoints(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        try:
            return self.names.index(name)
        except ValueError:
            raise KeyError(f'unknown keypoint {name!r}; runningpose19 has: '
                           f'{", ".join(self.names)}') from None

    @property
    def parents(self) -> np.ndarray:
        """(K,) index of each joint's parent along the links, -1 for the root."""
        parents = np.full(self.num_keypoints, -1, dtype=np.int64)
        for parent, child in self.links:
            parents[child] = parent
        return parents

    @property
    def left_indices(self) -> List[int]:
        return [i for i, n in enumerate(self.names) if n.startswith('left_')]

    @property
    def right_indices(self) -> List[int]:
        return [i for i, n in enumerate(self.names) if n.startswith('right_')]

    def pelvis_heading(self, joints: np.ndarray) -> np.ndarray:
        """Unit horizontal (x, y) direction the pelvis faces, z up: the median right ->
        left hip vector turned -90 deg about z. The one definition of where a pose faces
        (virtual cameras aim with it, the gait measures run along it).

        Raises:
            ValueError: no frame has both hips.
        """
        joints = np.asarray(joints)
        across = joints[:, self.index('left_hip'), :2] - joints[:, self.index('right_hip'), :2]
        across = across[np.isfinite(across).all(axis=1)]
        if not len(across):
            raise ValueError('cannot tell the running direction: no frame has both hips')
        a = np.median(across, axis=0)
        return np.array([a[1], -a[0]]) / np.linalg.norm(a)

    def scale_bones(self, joints: np.ndarray, factors: Dict[Tuple[int, int], object]
                    ) -> np.ndarray:
        """Another body doing the same motion: every link (parent, child) keeps its
        direction and has its length multiplied by ``factors[(parent, child)]`` (1 when
        absent); the root stays where it is and each joint follows its parent. A joint
        whose parent is missing (NaN) stays where it was.

        Args:
            joints (np.ndarray): (T, K, D) joint positions (3D or 2D).
            factors (dict): (parent, child) index pair -> length factor, one number or
                (T,) per frame.

        Returns:
            np.ndarray: (T, K, D) the rescaled joints.
        """
        joints = np.asarray(joints, dtype=np.float64)
        out = joints.copy()
        parents = self.parents
        done = parents < 0
        while not done.all():
            ready = np.flatnonzero(~done & done[np.maximum(parents, 0)] & (parents >= 0))
            if not len(ready):
                raise ValueError('the links do not form a tree rooted at one joint')
            for child in ready:
                parent = parents[child]
                factor = np.asarray(factors.get((parent, child), 1.0), dtype=np.float64)
                moved = out[:, parent] + factor.reshape(-1, 1) * \
                    (joints[:, child] - joints[:, parent])
                out[:, child] = np.where(np.isfinite(moved), moved, joints[:, child])
                done[child] = True
        return out

    @property
    def mirror_links(self) -> List[int]:
        """(L,) index of each link's mirror image among ``links`` (itself for the spine
        and neck)."""
        index = {link: i for i, link in enumerate(self.links)}
        flip = self.flip_indices
        return [index.get((flip[p], flip[c]), i) for i, (p, c) in enumerate(self.links)]

    def clip_bone_lengths(self, joints: np.ndarray, seen: Optional[np.ndarray] = None,
                          min_seen_frames: int = 10) -> Tuple[np.ndarray, np.ndarray]:
        """Each link's length over a whole clip, as lifted and as its left/right pair shares it.

        A link's length is its median over the frames where both its ends were seen
        (``seen``; over all frames with both ends when fewer than ``min_seen_frames`` are).
        A left/right pair shares the mean of its two medians weighted by those frame
        counts: both sides count alike when both are seen, and a limb hidden in nearly
        every frame (the far arm of a side view, which detectors draw as a copy of the
        near one) takes the seen one's length.

        Args:
            joints (np.ndarray): (T, K, 3) positions; NaN where missing.
            seen (np.ndarray, optional): (T, K) bool, the keypoints the 2D detector saw
                (default: all).

        Returns:
            tuple: (L,) medians and (L,) shared lengths, in ``links`` order and the
            input's unit (NaN for a link with no frame holding both ends).
        """
        joints = np.asarray(joints, dtype=np.float64)
        if seen is None:
            seen = np.ones(joints.shape[:2], bool)
        median = np.full(len(self.links), np.nan)
        weight = np.zeros(len(self.links))
        lengths = self.bone_lengths(joints).values()  # in ``links`` order
        for i, ((p, c), length) in enumerate(zip(self.links, lengths)):
            finite = np.isfinite(length)
            both_seen = finite & seen[:, p] & seen[:, c]
            if both_seen.sum() >= min_seen_frames:
                median[i], weight[i] = np.median(length[both_seen]), both_seen.sum()
            elif finite.any():
                # a side seen too rarely counts for little against one seen often
                median[i], weight[i] = np.median(length[finite]), 1e-3 * finite.sum()
        shared = median.copy()
        for i, j in enumerate(self.mirror_links):
            pair = [k for k in sorted({i, j}) if np.isfinite(median[k])]
            if pair:
                shared[i] = np.average(median[pair], weights=weight[pair])
        return median, shared

    def equalise_left_right(self, joints: np.ndarray, seen: Optional[np.ndarray] = None
                            ) -> Tuple[np.ndarray, np.ndarray]:
        """A clip's joints with each left/right pair of bones at one length.

        Every link keeps its direction and its frame-to-frame variation; its length is
        scaled by one factor for the whole clip, shared / median (``clip_bone_lengths``),
        and the joints below it follow (``scale_bones``). The root stays.

        Args:
            joints (np.ndarray): (T, K, 3) positions; NaN where missing.
            seen (np.ndarray, optional): (T, K) bool, the keypoints the 2D detector saw.

        Returns:
            tuple: (T, K, 3) the joints and (L,) the factor of each link (1 for the
            spine and neck, and for a link never lifted).
        """
        median, shared = self.clip_bone_lengths(joints, seen)
        with np.errstate(divide='ignore', invalid='ignore'):
            factors = shared / median
        factors = np.where(np.isfinite(factors) & (median > 0), factors, 1.0)
        return self.scale_bones(joints, dict(zip(self.links, factors))), factors

    def bone_lengths(self, joints: np.ndarray) -> Dict[str, np.ndarray]:
        """Length of every link per frame.

        Args:
            joints (np.ndarray): (T, K, 3) joint positions (any length unit).

        Returns:
            dict: ``'parent-child'`` name -> (T,) lengths in the input's unit.
        """
        return {
            f'{self.names[p]}-{self.names[c]}':
            np.linalg.norm(joints[:, c] - joints[:, p], axis=-1)
            for p, c in self.links
        }


@lru_cache(maxsize=1)
def runningpose19() -> Skeleton:
    """The runningpose19 skeleton parsed from its definition file."""
    from mmengine.config import Config
    definition_file = Config.fromfile(metainfo_file())
    info = definition_file.dataset_info.to_dict()
    keypoints = [info['keypoint_info'][i] for i in sorted(info['keypoint_info'])]
    names = tuple(k['name'] for k in keypoints)
    name_to_index = {n: i for i, n in enumerate(names)}
    flip = tuple(name_to_index[k['swap']] if k['swap'] else i for i, k in enumerate(keypoints))
    links = tuple((name_to_index[a], name_to_index[b])
                  for a, b in (info['skeleton_info'][i]['link']
                               for i in sorted(info['skeleton_info'])))
    definitions = dict(definition_file.joint_definitions)
    if sorted(definitions) != sorted(names):
        raise ValueError(f'{metainfo_file()}: joint_definitions must define every keypoint '
                         f'once; missing {sorted(set(names) - set(definitions))}')
    return Skeleton(names=names, links=links, flip_indices=flip,
                    definitions=tuple(definitions[n] for n in names),
                    forefoot_fraction=float(definition_file.forefoot_fraction))
