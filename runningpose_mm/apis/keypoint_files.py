"""2D keypoints a user already has, read from the files the common tools write.

- MMPose prediction JSON (``pred_out_dir`` of its inferencers): a list of frames, each
  ``{"frame_id", "instances": [{"keypoints", "keypoint_scores", "bbox"}, ...]}``; the
  keypoint set follows from the count (26 Halpe-26, 133 COCO-WholeBody). Several people
  per frame: the main runner is the longest, most confident track.
- NPZ arrays: ``keypoints`` (T, K, 2) pixels and ``scores`` (T, K), with the keypoint set
  named by ``keypoint_set`` or told by ``names`` or the count (26 Halpe-26, 33 MediaPipe
  / BlazePose, 133 COCO-WholeBody); ``fps``, ``width``, ``height`` when present (the
  shared MediaPipe files have them).
- CSV, one row per frame, columns ``<name>_x``, ``<name>_y`` and optionally
  ``<name>_score`` or ``<name>_visibility`` per keypoint (MediaPipe / BlazePose 33
  names, or Halpe-26 / COCO-WholeBody names).

Frame rate and image size come from the file or from the caller; a missing one is an
error (the lifter needs both: motion speed and the normalisation of training).
MediaPipe's normalised coordinates (0-1) are turned into pixels with the image size.
"""
import csv
import json
import os.path as osp
from dataclasses import dataclass
from typing import Optional, Tuple

import numpy as np

from .keypoint_conversion import MEDIAPIPE33_NAMES, source_keypoint_names
from .video_lifting import main_runner_keypoints

#: keypoint count -> keypoint set, where the count alone tells it
_SET_BY_COUNT = {26: 'halpe26', 33: 'mediapipe33', 133: 'coco_wholebody', 17: 'coco'}
KEYPOINT_FILE_EXTENSIONS = ('.json', '.npz', '.csv')


#: no image is this large: a coordinate beyond it is a broken file
_MAX_PIXELS = 1e6


class KeypointFileError(ValueError):
    """A 2D keypoint file that cannot be read or lacks what lifting needs."""


@dataclass
class Keypoints2D:
    """2D keypoints of one runner.

    Attributes:
        keypoints (np.ndarray): (T, K, 2) pixels, NaN where absent.
        scores (np.ndarray): (T, K) confidences (0 where absent).
        keypoint_set (str): 'halpe26', 'coco_wholebody', 'mediapipe33', ...
        fps (float): frame rate.
        image_size (tuple): (w, h) pixels.
        source (str): the file.
        notes (list[str]): what was assumed or chosen while reading.
    """
    keypoints: np.ndarray
    scores: np.ndarray
    keypoint_set: str
    fps: float
    image_size: Tuple[int, int]
    source: str
    notes: list


def _keypoint_set(count: int, names=None, declared: Optional[str] = None, path: str = '') -> str:
    if declared:
        expected = len(source_keypoint_names(declared)) if declared != 'coco' else 17
        if expected != count:
            raise KeypointFileError(f'{path}: {count} keypoints per frame, but {declared} has '
                                    f'{expected}')
        return declared
    if names is not None:
        names = [str(n) for n in names]
        if names == list(MEDIAPIPE33_NAMES):
            return 'mediapipe33'
        for candidate in ('halpe26', 'coco_wholebody'):
            if names == source_keypoint_names(candidate):
                return candidate
    if count in _SET_BY_COUNT:
        return _SET_BY_COUNT[count]
    raise KeypointFileError(
        f'{path}: {count} keypoints per frame is no known keypoint set (Halpe-26: 26, '
        'MediaPipe/BlazePose: 33, COCO-WholeBody: 133); name it with --keypoint-set')


def _read_mmpose_json(path: str):
    with open(path, 'rb') as f:
        try:
            data = json.loads(f.read())
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise KeypointFileError(f'{path}: not valid JSON ({exc})') from exc
    if isinstance(data, dict) and 'instance_info' in data:  # MMPose demo's --save-predictions
        data = data['instance_info']
    if not isinstance(data, list) or not all(isinstance(f, dict) and 'instances' in f
                                             for f in data):
        raise KeypointFileError(f'{path}: expected MMPose predictions: a list of frames, each '
                                'with "instances" (keypoints, keypoint_scores, bbox)')
    frames = []
    for frame in data:
        people = []
        for inst in frame['instances']:
            try:
                kp = np.asarray(inst['keypoints'], dtype=np.float64).reshape(-1, 2)
                sc = np.asarray(inst.get('keypoint_scores', np.ones(len(kp))), dtype=np.float64)
            except (KeyError, ValueError, TypeError) as exc:
                raise KeypointFileError(f'{path}: frame {frame.get("frame_id")}: an instance '
                                        f'without readable keypoints ({exc})') from exc
            if sc.size != len(kp):
                raise KeypointFileError(f'{path}: frame {frame.get("frame_id")}: {len(kp)} '
                                        f'keypoints but {sc.size} keypoint_scores')
            bbox = inst.get('bbox')
            try:
                box = np.asarray(bbox, dtype=np.float64).reshape(-1)[:4] \
                    if bbox is not None else np.array([*np.nanmin(kp, 0), *np.nanmax(kp, 0)])
            except (ValueError, TypeError) as exc:
                raise KeypointFileError(f'{path}: frame {frame.get("frame_id")}: bbox '
                                        f'{bbox!r} is not 4 numbers') from exc
            if box.size != 4:
                raise KeypointFileError(f'{path}: frame {frame.get("frame_id")}: bbox '
                                        f'{bbox!r} is not 4 numbers')
            people.append(dict(bbox=box, keypoints=kp, keypoint_scores=sc.reshape(-1)))
        frames.append(people)
    counts = {len(p['keypoints']) for people in frames for p in people}
    if not counts:
        raise KeypointFileError(f'{path}: no person in any frame')
    if len(counts) > 1:
        raise KeypointFileError(f'{path}: instances with different keypoint counts {counts}')
    kp, sc, _ = main_runner_keypoints(frames)
    multi = sum(len(p) > 1 for p in frames)
    notes = [f'{multi} frame(s) with several people: the main runner is the longest, most '
             'confident track'] if multi else []
    return kp, sc, dict(), notes, None


def _read_npz(path: str):
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except Exception as exc:  # noqa: BLE001  a damaged zip raises any of a dozen types
        # (BadZipFile, EOFError, zlib.error, NotImplementedError, ValueError, ...)
        raise KeypointFileError(f'{path}: not a readable .npz ({type(exc).__name__}: '
                                f'{exc})') from exc
    if 'keypoints' not in arrays:
        raise KeypointFileError(f'{path}: an .npz of 2D keypoints needs "keypoints" (T, K, 2) '
                                f'(and "scores" (T, K)); it has {sorted(arrays)}')
    kp = np.asarray(arrays['keypoints'], dtype=np.float64)
    if kp.ndim != 3 or kp.shape[-1] < 2:
        raise KeypointFileError(f'{path}: keypoints must be (T, K, 2), got {kp.shape}')
    if kp.shape[-1] > 2:  # (x, y, score) triples
        arrays.setdefault('scores', kp[..., 2])
        kp = kp[..., :2]
    sc = np.asarray(arrays.get('scores', np.where(np.isfinite(kp).all(-1), 1.0, 0.0)),
                    dtype=np.float64)
    if sc.shape != kp.shape[:2]:
        raise KeypointFileError(f'{path}: scores {sc.shape} do not match keypoints {kp.shape}')
    info = {k: arrays[k].item() for k in ('fps', 'width', 'height') if k in arrays}
    declared = str(arrays['keypoint_set']) if 'keypoint_set' in arrays else None
    names = arrays.get('names')
    return kp, sc, info, [], (declared, names)


def _read_csv(path: str):
    with open(path, newline='', encoding='utf-8', errors='replace') as f:
        try:
            rows = list(csv.reader(f))
        except csv.Error as exc:  # e.g. a NUL byte
            raise KeypointFileError(f'{path}: not readable as CSV ({exc})') from exc
    if len(rows) < 2:
        raise KeypointFileError(f'{path}: no rows')
    header = [h.strip() for h in rows[0]]
    names = [h[:-2] for h in header if h.endswith('_x') and f'{h[:-2]}_y' in header]
    if not names:
        raise KeypointFileError(f'{path}: expected columns <name>_x, <name>_y per keypoint')
    try:
        table = np.array([[float(v) if v.strip() not in ('', 'nan', 'NaN') else np.nan
                           for v in row] for row in rows[1:] if row], dtype=np.float64)
    except ValueError as exc:
        raise KeypointFileError(f'{path}: a value is not a number ({exc})') from exc
    if table.shape[1] != len(header):
        raise KeypointFileError(f'{path}: rows have {table.shape[1]} values, the header '
                                f'{len(header)}')
    col = {h: i for i, h in enumerate(header)}
    kp = np.stack([table[:, [col[f'{n}_x'], col[f'{n}_y']]] for n in names], axis=1)
    score_cols = [col.get(f'{n}_score', col.get(f'{n}_visibility')) for n in names]
    sc = np.stack([table[:, c] if c is not None else np.ones(len(table)) for c in score_cols],
                  axis=1)
    return kp, sc, {}, [], (None, names)


def read_keypoints_2d(path: str, fps: Optional[float] = None,
                      image_size: Optional[Tuple[int, int]] = None,
                      keypoint_set: Optional[str] = None) -> Keypoints2D:
    """Read a 2D keypoint file (see the module docstring for the formats).

    Args:
        path (str): .json (MMPose predictions), .npz or .csv.
        fps (float, optional): frame rate, when the file does not carry it (a file that
            does and disagrees is an error).
        image_size (tuple, optional): (w, h) pixels, likewise.
        keypoint_set (str, optional): name the keypoint set when the count is ambiguous.

    Raises:
        KeypointFileError: unreadable file, unknown keypoint set, or no frame rate / image
            size from the file or the caller.
    """
    if not osp.isfile(path):
        raise KeypointFileError(f'keypoint file {path} does not exist')
    ext = osp.splitext(path)[1].lower()
    readers = {'.json': _read_mmpose_json, '.npz': _read_npz, '.csv': _read_csv}
    if ext not in readers:
        raise KeypointFileError(f'{path}: unknown keypoint file type {ext!r}; known: '
                                f'{", ".join(KEYPOINT_FILE_EXTENSIONS)}')
    kp, sc, info, notes, naming = readers[ext](path)
    declared, names = naming if naming else (None, None)
    kset = _keypoint_set(kp.shape[1], names, keypoint_set or declared, path)
    rate = _agree(path, 'frame rate (fps)', fps, info.get('fps'), '--fps')
    if not rate > 0:
        raise KeypointFileError(f'{path}: frame rate must be > 0, got {rate}')
    width = _agree(path, 'image width', None if image_size is None else image_size[0],
                   info.get('width'), '--image-size W H')
    height = _agree(path, 'image height', None if image_size is None else image_size[1],
                    info.get('height'), '--image-size W H')
    # NaN is an absent keypoint; an infinity or an absurd pixel value is a broken file
    broken = ~np.isnan(kp) & ~(np.abs(kp) < _MAX_PIXELS)
    broken |= (np.isinf(sc) | (np.abs(np.nan_to_num(sc)) > _MAX_PIXELS))[..., None]
    if broken.any():
        t, k, _ = np.argwhere(broken)[0]
        raise KeypointFileError(f'{path}: frame {t}, keypoint {k}: position '
                                f'{kp[t, k].tolist()}, score {sc[t, k]:g}: not finite or '
                                f'absurd ({int(broken.any(-1).sum())} such keypoints)')
    finite = kp[np.isfinite(kp)]
    if not len(finite):
        raise KeypointFileError(f'{path}: no keypoint has a position')
    if finite.max() <= 1.5 and finite.min() >= -0.5 and min(width, height) > 4:
        kp = kp * np.array([width, height], dtype=np.float64)
        notes.append('coordinates are normalised (0-1, as MediaPipe writes them): scaled to '
                     f'{int(width)}x{int(height)} pixels')
    sc = np.where(np.isfinite(kp).all(-1), np.nan_to_num(sc, nan=0.0), 0.0)
    return Keypoints2D(kp, sc, kset, float(rate), (int(width), int(height)), path, notes)


def _agree(path, what, given, in_file, option):
    if given is None and in_file is None:
        raise KeypointFileError(f'{path}: the file does not give the {what}; pass it ({option})')
    if given is not None and in_file is not None and abs(float(given) - float(in_file)) > 1e-3:
        raise KeypointFileError(f'{path}: the file says {what} {float(in_file):g}, the option '
                                f'{float(given):g}')
    return float(given if given is not None else in_file)
