"""Writers for lifted sequences: NPZ, CSV, JSON (MMPose prediction style), TRC, C3D.

The 3D keypoints are runningpose19 joints in the camera frame in metres (x right, y down,
z forward; root-relative unless a root trajectory is given). Biomechanics files (TRC,
C3D) are written in millimetres in a right-handed y-up frame: (x, -y, -z) of the camera
frame, so that OpenSim and Mokka show the runner upright.
"""
import csv
import json
from dataclasses import dataclass, field
from typing import Dict, Optional

import numpy as np

from ..skeleton import runningpose19


@dataclass
class LiftedSequence:
    """A lifted clip.

    Attributes:
        keypoints_3d (np.ndarray): (T, 19, 3) metres, camera frame (root-relative when
            ``root`` is None, else absolute).
        fps (float): frames per second of the rows.
        keypoints_2d (np.ndarray, optional): (T, 19, 2) pixels.
        scores_2d (np.ndarray, optional): (T, 19).
        root (np.ndarray, optional): (T, 3) camera-frame root trajectory, metres.
        valid (np.ndarray, optional): (T,) frames with a lifted pose (False in long 2D gaps).
        meta (dict): anything worth keeping (video, models, image size).
    """
    keypoints_3d: np.ndarray
    fps: float
    keypoints_2d: Optional[np.ndarray] = None
    scores_2d: Optional[np.ndarray] = None
    root: Optional[np.ndarray] = None
    valid: Optional[np.ndarray] = None
    meta: Dict = field(default_factory=dict)

    def __post_init__(self):
        if self.valid is None:
            self.valid = np.isfinite(self.keypoints_3d).all(axis=(1, 2))

    @property
    def num_frames(self) -> int:
        return len(self.keypoints_3d)

    def absolute_3d(self) -> np.ndarray:
        return self.keypoints_3d if self.root is None else \
            self.keypoints_3d - self.keypoints_3d[:, :1] + self.root[:, None]


def write_npz(seq: LiftedSequence, path: str) -> None:
    arrays = dict(keypoints_3d=seq.keypoints_3d, fps=seq.fps, valid=seq.valid,
                  keypoint_names=np.array(runningpose19().names),
                  meta_json=np.array(json.dumps(seq.meta)))
    for name in ('keypoints_2d', 'scores_2d', 'root'):
        if getattr(seq, name) is not None:
            arrays[name] = getattr(seq, name)
    np.savez_compressed(path, **arrays)


def write_csv(seq: LiftedSequence, path: str) -> None:
    """One row per frame: frame, time_s, valid, then <joint>_x/_y/_z in metres (and
    <joint>_u/_v/_score for 2D when present)."""
    names = runningpose19().names
    header = ['frame', 'time_s', 'valid'] + [f'{n}_{a}' for n in names for a in 'xyz']
    if seq.keypoints_2d is not None:
        header += [f'{n}_{a}' for n in names for a in ('u', 'v', 'score')]
    with open(path, 'w', newline='') as f:
        writer = csv.writer(f)
        writer.writerow(header)
        for t in range(seq.num_frames):
            row = [t, f'{t / seq.fps:.4f}', int(bool(seq.valid[t]))]
            row += ['' if not np.isfinite(v) else f'{v:.5f}' for v in seq.keypoints_3d[t].ravel()]
            if seq.keypoints_2d is not None:
                scores = seq.scores_2d[t] if seq.scores_2d is not None else np.ones(19)
                for (u, v), s in zip(seq.keypoints_2d[t], scores):
                    row += ['' if not np.isfinite(u) else f'{u:.2f}',
                            '' if not np.isfinite(v) else f'{v:.2f}', f'{s:.3f}']
            writer.writerow(row)


def write_json(seq: LiftedSequence, path: str) -> None:
    """MMPose's prediction style: a list of frames, each with its instances."""
    frames = []
    for t in range(seq.num_frames):
        instances = []
        if seq.valid[t]:
            inst = dict(keypoints=seq.keypoints_3d[t].tolist(),
                        keypoint_scores=(seq.scores_2d[t].tolist() if seq.scores_2d is not None
                                         else [1.0] * 19))
            if seq.keypoints_2d is not None:
                inst['keypoints_2d'] = seq.keypoints_2d[t].tolist()
            if seq.root is not None:
                inst['root_position'] = seq.root[t].tolist()
            instances.append(inst)
        frames.append(dict(frame_id=t, time_s=t / seq.fps, instances=instances))
    with open(path, 'w') as f:
        json.dump(dict(meta_info=dict(dataset_name='runningpose19',
                                      keypoint_names=list(runningpose19().names),
                                      units='m', frame='camera', fps=seq.fps, **seq.meta),
                       instance_info=frames), f)


def _biomech_frame_mm(seq: LiftedSequence) -> np.ndarray:
    cam = seq.absolute_3d()
    return np.stack([cam[..., 0], -cam[..., 1], -cam[..., 2]], axis=-1) * 1000.0


def write_trc(seq: LiftedSequence, path: str) -> None:
    """OpenSim TRC (mm, y up; empty fields where a frame has no pose)."""
    from ..mocap.writers import write_trc as write_marker_trc
    data = np.where(seq.valid[:, None, None], _biomech_frame_mm(seq), np.nan)
    write_marker_trc(path, runningpose19().names, data, seq.fps)


def write_c3d(seq: LiftedSequence, path: str) -> None:
    """C3D through ezc3d (mm, y up; frames without a pose are flagged invalid)."""
    import ezc3d
    names = runningpose19().names
    data = _biomech_frame_mm(seq)
    c3d = ezc3d.c3d()
    c3d['parameters']['POINT']['RATE']['value'] = [float(seq.fps)]
    c3d['parameters']['POINT']['LABELS']['value'] = tuple(names)
    c3d['parameters']['POINT']['UNITS']['value'] = ['mm']
    data = np.where(seq.valid[:, None, None], data, np.nan)
    points = np.ones((4, len(names), seq.num_frames))
    points[:3] = data.transpose(2, 1, 0)  # ezc3d stores NaN points as invalid
    c3d['data']['points'] = points
    c3d.write(path)


WRITERS = dict(npz=write_npz, csv=write_csv, json=write_json, trc=write_trc, c3d=write_c3d)


def write_all(seq: LiftedSequence, prefix: str) -> Dict[str, str]:
    """Write every format as ``prefix.<ext>``; returns the paths."""
    paths = {}
    for ext, writer in WRITERS.items():
        paths[ext] = f'{prefix}.{ext}'
        writer(seq, paths[ext])
    return paths
