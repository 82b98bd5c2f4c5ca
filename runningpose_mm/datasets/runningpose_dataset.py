import json
import os.path as osp
from typing import List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.fileio import get_local_path
from mmengine.utils import is_abs

from mmpose.datasets.datasets.base import BaseMocapDataset
from mmpose.registry import DATASETS

from ..skeleton import metainfo_file, runningpose19

#: arrays every annotation file holds (written by ``runningpose_mm.mocap.dataset_writer``)
ANNOTATION_ARRAYS = ('keypoints_3d', 'keypoints_3d_visible', 'keypoints_2d',
                     'keypoints_2d_visible', 'sequence_index', 'frame_index')


def load_annotation_file(path: str) -> Tuple[dict, List[dict]]:
    """Read a RunningPose annotation file.

    Args:
        path (str): ``.npz`` written by the dataset builder.

    Returns:
        tuple: ``arrays`` (dict of np.ndarray, see ``ANNOTATION_ARRAYS``: 3D in the camera
        frame in metres (N, K, 3), 2D in pixels (N, K, 2), visibilities (N, K), the
        sequence (N,) and frame (N,) of every row) and ``sequences`` (list of dict: name,
        trial, subject, fps and ``camera`` with ``w``, ``h``, ``f`` (2, 1), ``c`` (2, 1),
        ``R`` (3, 3), ``T`` (3, 1) in metres, ``k``, ``p``).
    """
    with get_local_path(path) as local_path:
        try:
            with np.load(local_path, allow_pickle=False) as data:
                arrays = {key: data[key] for key in data.files}
        except (OSError, ValueError) as exc:
            raise ValueError(f'{path}: not a RunningPose annotation file ({exc})') from exc
    missing = [k for k in ANNOTATION_ARRAYS + ('sequences_json', ) if k not in arrays]
    if missing:
        raise ValueError(f'{path}: missing arrays {missing}; a RunningPose annotation file '
                         f'has {list(ANNOTATION_ARRAYS) + ["sequences_json"]}. Build it with '
                         'tools/dataset_converters/build_runningpose.py')
    sequences = json.loads(str(arrays.pop('sequences_json')))
    for seq in sequences:
        cam = seq['camera']
        for key in ('f', 'c', 'T'):
            cam[key] = np.asarray(cam[key], dtype=np.float32).reshape(-1, 1)
        for key in ('R', 'k', 'p'):
            if key in cam:
                cam[key] = np.asarray(cam[key], dtype=np.float32)
    return arrays, sequences


@DATASETS.register_module()
class RunningPoseDataset(BaseMocapDataset):
    """2D-to-3D lifting samples from RunningPose annotation files.

    Every row of the annotation file is one frame of one sequence (a mocap trial seen by
    one camera). A sample is a window of ``seq_len`` consecutive frames
    around a target frame: the middle one, or the last one when ``causal``. With
    ``pad_video_seq`` every frame is a target and windows that run past a sequence's ends
    repeat its first/last frame (edge padding, as at inference); without it only frames
    with a full window are targets. Windows are cut on demand, so memory does not grow
    with ``seq_len``.

    Args:
        ann_file (str): the ``.npz`` annotation file.
        seq_len (int): frames per sample. Default: 1.
        causal (bool): target is the last frame (True) or the middle one. Default: False.
        pad_video_seq (bool): edge-pad windows so every frame is a target. Default: True.
        subset_frac (float): keep this fraction of samples (a contiguous block, fixed
            by ``subset_seed``). Default: 1.
        subset_seed (int): seed of the subset position. Default: 0.
        fps (float, optional): the frame rate the config expects; a file of another
            rate is refused (the lifter's rate travels with it: the checkpoint records
            ``self.fps``). Default: any.
        Other arguments: see ``mmpose.datasets.BaseMocapDataset``.

    Each data info has: ``keypoints`` (seq_len, K, 2) pixels, ``keypoints_visible``
    (seq_len, K), ``lifting_target`` (1, K, 3) camera frame metres,
    ``lifting_target_visible`` (1, K), ``camera_param`` (w, h, f, c, R, T, k, p),
    ``sequence_name`` and ``target_frame``.
    """

    METAINFO: dict = dict(from_file=metainfo_file())

    def __init__(self,
                 ann_file: str = '',
                 seq_len: int = 1,
                 causal: bool = False,
                 pad_video_seq: bool = True,
                 subset_frac: float = 1.0,
                 subset_seed: int = 0,
                 fps: Optional[float] = None,
                 metainfo: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 data_prefix: dict = dict(img=''),
                 filter_cfg: Optional[dict] = None,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 serialize_data: bool = True,
                 pipeline: list = [],
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 max_refetch: int = 1000):
        # no seq_step: validation, test and inference lift every frame of a whole
        # sequence (the TCN's dilations give the context), so windows are consecutive
        if seq_len < 1:
            raise ValueError(f'seq_len must be >= 1, got {seq_len}')
        self.pad_video_seq = pad_video_seq
        self.subset_seed = subset_seed
        self.expected_fps = fps
        path = ann_file if is_abs(ann_file) or data_root is None else osp.join(
            data_root, ann_file)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'RunningPose annotation file {path} does not exist. Build one with '
                'python tools/dataset_converters/build_runningpose.py (see README).')
        super().__init__(
            ann_file=ann_file, seq_len=seq_len, causal=causal, subset_frac=subset_frac,
            metainfo=metainfo, data_root=data_root, data_prefix=data_prefix,
            filter_cfg=filter_cfg, indices=indices, serialize_data=serialize_data,
            pipeline=pipeline, test_mode=test_mode, lazy_init=lazy_init,
            max_refetch=max_refetch)

    def _load_ann_file(self, ann_file: str) -> None:
        self.ann_data, self.sequences = load_annotation_file(ann_file)
        num_kpts = self.ann_data['keypoints_3d'].shape[1]
        expected = self._metainfo_num_keypoints()
        if num_kpts != expected:
            raise ValueError(f'{ann_file}: {num_kpts} keypoints per frame, but the dataset '
                             f'metainfo defines {expected}')
        rates = sorted({float(s['fps']) for s in self.sequences})
        if len(rates) > 1:
            raise ValueError(f'{ann_file}: sequences at several frame rates {rates}; a '
                             'lifter is trained at one rate (rebuild with one --fps)')
        self.fps = rates[0] if rates else self.expected_fps
        if self.expected_fps is not None and self.fps is not None and \
                abs(self.fps - float(self.expected_fps)) > 1e-6:
            raise ValueError(f'{ann_file}: built at {self.fps:g} fps, but the config '
                             f'expects fps={float(self.expected_fps):g}; rebuild the dataset '
                             'with --fps or change the config')
        missing = self.ann_data['keypoints_2d_visible'] <= 0
        if missing.any():
            # the lifter never sees a missing input at inference (only frames with every
            # keypoint are lifted); such rows would feed it pixel (0, 0) in training. (A
            # joint without a 3D target but with a 2D input, a modelled upper body, is
            # fine: the loss and the metrics skip it.)
            names = [runningpose19().names[j] for j in np.flatnonzero(missing.any(axis=0))]
            raise ValueError(f'{ann_file}: {int(missing.any(axis=1).sum())} rows lack joints '
                             f'({", ".join(names)}); the lifter takes only frames with every '
                             'joint: rebuild the dataset with the current builder, which '
                             'leaves such frames out')
        seq = self.ann_data['sequence_index']
        if len(seq) and np.any(np.diff(seq) < 0):
            raise ValueError(f'{ann_file}: rows must be grouped by sequence')
        # first and one-past-last row of each sequence
        ids = np.arange(len(self.sequences))
        self._seq_start = np.searchsorted(seq, ids, side='left')
        self._seq_end = np.searchsorted(seq, ids, side='right')

    def _metainfo_num_keypoints(self) -> int:
        from mmpose.datasets.datasets.utils import parse_pose_metainfo
        return parse_pose_metainfo(dict(self.METAINFO))['num_keypoints']

    def _window_offsets(self) -> np.ndarray:
        if self.causal:
            left, right = self.seq_len - 1, 0
        else:
            left = (self.seq_len - 1) // 2
            right = self.seq_len - 1 - left
        return np.arange(-left, right + 1)

    def get_sequence_indices(self) -> List[List[int]]:
        """Target rows of the annotation file (one sample per target frame)."""
        offsets = self._window_offsets()
        targets = []
        for start, end in zip(self._seq_start, self._seq_end):
            rows = np.arange(start, end)
            if not self.pad_video_seq:
                rows = rows[(rows + offsets[0] >= start) & (rows + offsets[-1] < end)]
            targets.append(rows)
        targets = np.concatenate(targets) if targets else np.zeros(0, np.int64)
        if self.subset_frac < 1:
            size = int(len(targets) * self.subset_frac)
            first = np.random.default_rng(self.subset_seed).integers(0, len(targets) - size + 1)
            targets = targets[first:first + size]
        return [[int(t)] for t in targets]

    def window_rows(self, target_row: int) -> np.ndarray:
        """Rows of the window around ``target_row``, edge-padded within its sequence."""
        seq = self.ann_data['sequence_index'][target_row]
        rows = target_row + self._window_offsets()
        return np.clip(rows, self._seq_start[seq], self._seq_end[seq] - 1)

    def _load_annotations(self) -> Tuple[List[dict], List[dict]]:
        num_keypoints = self.metainfo['num_keypoints']
        instances = [
            dict(id=i, target_row=rows[0], num_keypoints=num_keypoints, category_id=1,
                 iscrowd=0) for i, rows in enumerate(self.sequence_indices)
        ]
        return instances, []

    def _get_topdown_data_infos(self, instance_list: List[dict]) -> List[dict]:
        # a target frame whose 3D root is missing cannot be root-centred: skip it
        root_visible = self.ann_data['keypoints_3d_visible'][:, 0] > 0
        return [inst for inst in instance_list if root_visible[inst['target_row']]]

    def target_rows(self) -> np.ndarray:
        """(N,) annotation row of every sample's target frame, in sample order."""
        from mmengine.dataset import BaseDataset
        return np.array([BaseDataset.get_data_info(self, i)['target_row']
                         for i in range(len(self))], dtype=np.int64)

    def whole_sequences(self) -> List[dict]:
        """Every sequence with at least one sample, whole (for evaluation by lifting each
        sequence in one pass): ``name``, ``camera`` (the annotation's, image size
        ``w``/``h``), ``keypoints_2d`` (F, K, 2) pixels of all its frames and their
        ``keypoints_2d_visible`` (F, K) scores, and of the
        samples' target frames: ``targets`` (indices into those frames),
        ``keypoints_3d`` (N, K, 3), ``keypoints_3d_visible`` (N, K), ``frame_index`` (N,).
        Honours what ``get_sequence_indices`` and the root filter kept."""
        ann = self.ann_data
        rows = np.sort(self.target_rows())
        seq_of = ann['sequence_index'][rows]
        out = []
        for seq_id, seq in enumerate(self.sequences):
            targets = rows[seq_of == seq_id]
            if not len(targets):
                continue
            start, stop = int(self._seq_start[seq_id]), int(self._seq_end[seq_id])
            out.append(dict(name=seq['name'], camera=seq['camera'],
                            keypoints_2d=ann['keypoints_2d'][start:stop],
                            keypoints_2d_visible=ann['keypoints_2d_visible'][start:stop],
                            targets=targets - start,
                            keypoints_3d=ann['keypoints_3d'][targets],
                            keypoints_3d_visible=ann['keypoints_3d_visible'][targets],
                            frame_index=ann['frame_index'][targets]))
        return out

    def get_data_info(self, idx: int) -> dict:
        from mmengine.dataset import BaseDataset

        # BaseMocapDataset deep-copies six metainfo entries into every sample (a third of
        # the per-sample cost); they are read-only in the pipeline, so share them
        info = BaseDataset.get_data_info(self, idx)
        for key in ('upper_body_ids', 'lower_body_ids', 'flip_pairs',
                    'dataset_keypoint_weights', 'flip_indices', 'skeleton_links'):
            info[key] = self._metainfo[key]
        target = info['target_row']
        rows = self.window_rows(target)
        ann = self.ann_data
        seq = self.sequences[int(ann['sequence_index'][target])]
        frame = int(ann['frame_index'][target])
        # MMPose's VideoPoseLifting codec normalises by half the image width; a square
        # canvas of the longer side around the image (pixels and principal point moved
        # into it) makes that half the longer side, for portrait views as for landscape
        # ones (apis.lifting.normalize_keypoints_2d does the same at inference)
        camera = dict(seq['camera'])
        side = float(max(camera['w'], camera['h']))
        shift = np.array([0.5 * (side - camera['w']), 0.5 * (side - camera['h'])],
                         dtype=np.float32)
        camera.update(w=side, h=side, c=np.asarray(camera['c'], np.float32) +
                      shift.reshape(np.shape(camera['c'])))
        info.update(
            keypoints=ann['keypoints_2d'][rows].astype(np.float32) + shift,
            keypoints_visible=ann['keypoints_2d_visible'][rows].astype(np.float32),
            lifting_target=ann['keypoints_3d'][[target]].astype(np.float32),
            lifting_target_visible=ann['keypoints_3d_visible'][[target]].astype(np.float32),
            camera_param=camera,
            sequence_name=seq['name'],
            target_frame=frame,
            target_img_path=[f"{seq['name']}/{frame:06d}"],
            img_ids=[int(r) for r in rows],
        )
        return info
