"""From per-frame 2D detections of a clip to one lifted runner.

- ``select_main_track``: link people across frames by predicted box motion and keep
  the runner: the longest, most confident, nearest person.
- ``fill_2d_gaps``: interpolate short dropouts of single keypoints; longer ones stay
  missing and are marked.
- ``lift_clip``: resample to the lifter's frame rate, normalise exactly as in training,
  lift each gap-free segment in one dilated pass, and resample back to the video's
  frames.
"""
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..mocap.timeseries import fill_short_gaps, gap_runs, resample_in_time
from ..models.codecs import SEEN_SCORE
from ..skeleton import runningpose19
from .lifting import WholeSequenceLifter
from .outputs import LiftedSequence


def box_iou(a: np.ndarray, b: np.ndarray) -> float:
    """Intersection over union of two x1 y1 x2 y2 boxes."""
    x1, y1 = np.maximum(a[:2], b[:2])
    x2, y2 = np.minimum(a[2:4], b[2:4])
    inter = max(0.0, x2 - x1) * max(0.0, y2 - y1)
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def _instance_score(instance: dict) -> float:
    """What an instance adds to its track's claim to be the runner: its confidence
    (mean keypoint score, or a detection's score) times its box height (the person
    filmed is near the camera; people further away are smaller)."""
    box = np.asarray(instance['bbox'], float)
    confidence = float(np.mean(instance['keypoint_scores'])) if 'keypoint_scores' in \
        instance else float(instance.get('score', 1.0))
    return confidence * max(float(box[3] - box[1]), 0.0)


#: boxes a track's motion and size are estimated from (its latest unmerged ones)
TRACK_MEMORY = 10


def _predicted_box(track: dict, t: int) -> np.ndarray:
    """Where a track's box is expected in frame ``t``: its usual size (median of the
    latest boxes) about a centre moving on the straight line fitted to the latest
    centres (a fit, not the last step: limbs swinging make single boxes jitter)."""
    times = np.array([f for f, _ in track['seen'][-TRACK_MEMORY:]], float)
    boxes = np.array([b for _, b in track['seen'][-TRACK_MEMORY:]])
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = np.median(boxes[:, 2:] - boxes[:, :2], axis=0) / 2
    if len(times) > 1:
        slope, offset = np.polyfit(times, centres, 1)
        centre = offset + slope * t
    else:
        centre = centres[-1]
    return np.concatenate([centre - half, centre + half])


def _rejoined(seed: dict, tracks: List[dict], tolerance: Optional[float]) -> List[dict]:
    """``seed`` and the tracks (best first) that lie wholly before or after the ones
    taken so far and have its median box height within ``tolerance``: one person who
    left the view and came back."""
    group = [seed]
    if tolerance is None:
        return group
    height = _median_height(seed)
    for tr in tracks:
        span = (min(tr['members']), max(tr['members']))
        apart = all(span[1] < min(g['members']) or span[0] > max(g['members'])
                    for g in group)
        if apart and abs(_median_height(tr) - height) <= tolerance * height:
            group.append(tr)
    return group


def _shift(predicted: np.ndarray, box: np.ndarray) -> float:
    """Distance of a box's centre from the predicted box's, in predicted box heights."""
    height = max(float(predicted[3] - predicted[1]), 1.0)
    return float(np.linalg.norm((box[:2] + box[2:4] - predicted[:2] - predicted[2:4]) / 2)
                 ) / height


def _median_height(track: dict) -> float:
    return float(np.median([b[3] - b[1] for _, b in track['seen']]))


def select_main_track(frames: Sequence[List[dict]], max_shift: float = 0.5,
                      max_lost_frames: int = 10, rejoin_size_tolerance: Optional[float] = 0.3,
                      merged_width: float = 1.6, merged_height: float = 1.25,
                      return_boxes: bool = False,
                      first_step_shift: Optional[float] = None):
    """Index of the main runner's instance in every frame (-1 where absent).

    People are linked across frames by the distance of their box from where their
    track is predicted to be (``_predicted_box``: the line through its latest centres),
    so a runner who crosses the frame keeps the track even when frames are far apart
    (the fast 2D stage links detections every N-th frame; box overlap fails there). A
    box that continues a track but is much wider or taller than the track's boxes
    (``merged_width``, ``merged_height``) holds two people: a bystander crossing in
    front, merged with the runner by the detector or its NMS. The track then coasts
    (its box moves on at its velocity, its size kept) instead of following the merged
    box, so it leaves the crossing with the runner, not the bystander.

    A runner who leaves the view and comes back starts a new track; tracks wholly
    before or after each other with the same box height (within
    ``rejoin_size_tolerance``) are taken as one person. The runner is the person (track
    or rejoined tracks) with the largest sum of confidence times box height (long,
    confident and near beats short, flickering or far away).

    Args:
        frames: per frame, a list of instances with ``bbox`` (4,) x1 y1 x2 y2 pixels and
            ``keypoint_scores`` (K,) or a detection ``score``.
        max_shift (float): a box continues a track when its centre is at most this many
            box heights from the track's predicted centre (the nearest box does).
        max_lost_frames (int): a track missing longer than this ends.
        rejoin_size_tolerance (float, optional): None: never rejoin.
        merged_width (float): a box this many times wider than the track's usual box
            holds two people (a runner's box alone changes width by about 1.4x with
            the stride, its height much less).
        merged_height (float): the same for the height.
        first_step_shift (float, optional): ``max_shift`` for a track's second box
            (its velocity is unknown before; default ``max_shift``).
        return_boxes (bool): also return the main track's box in every frame.

    Returns:
        np.ndarray: (T,) instance index per frame; with ``return_boxes`` also (T, 4)
        boxes (NaN where absent; the coasting box where the detection was merged).
    """
    tracks = []
    for t, instances in enumerate(frames):
        free = list(range(len(instances)))
        live = [tr for tr in tracks if t - tr['last_frame'] <= max_lost_frames]
        live.sort(key=lambda tr: -tr['score'])
        for tr in live:
            if not free:
                break
            predicted = _predicted_box(tr, t)
            shifts = [_shift(predicted, np.asarray(instances[i]['bbox'], float))
                      for i in free]
            best = int(np.argmin(shifts))
            allowed = max_shift if len(tr['seen']) > 1 else (first_step_shift or max_shift)
            if shifts[best] > allowed:
                continue
            i = free.pop(best)
            box = np.asarray(instances[i]['bbox'], float)[:4]
            size = box[2:] - box[:2]
            usual = predicted[2:] - predicted[:2]
            if len(tr['seen']) >= 3 and (size[0] > merged_width * usual[0] or
                                         size[1] > merged_height * usual[1]):
                box = predicted  # merged with someone: coast
            else:
                tr['seen'].append((t, box))
            tr['members'][t] = i
            tr['boxes'][t] = box
            tr['last_frame'] = t
            tr['score'] += _instance_score(instances[i])
        for i in free:
            box = np.asarray(instances[i]['bbox'], float)[:4]
            tracks.append(dict(last_frame=t, members={t: i}, boxes={t: box}, seen=[(t, box)],
                               score=_instance_score(instances[i])))
    selection = np.full(len(frames), -1, dtype=np.int64)
    boxes = np.full((len(frames), 4), np.nan)
    tracks.sort(key=lambda tr: -tr['score'])
    groups = [_rejoined(seed, tracks, rejoin_size_tolerance) for seed in tracks]
    chosen = max(groups, key=lambda g: sum(tr['score'] for tr in g)) if groups else []
    for tr in chosen:
        for t, i in tr['members'].items():
            selection[t] = i
            boxes[t] = tr['boxes'][t]
    return (selection, boxes) if return_boxes else selection


#: limb chains a 2D detector swaps left for right together (runningpose19 names)
SWAP_CHAINS = {'legs': ('knee', 'ankle', 'forefoot'), 'arms': ('elbow', 'wrist')}


def _chain_indices(chain) -> Tuple[List[int], List[int]]:
    """runningpose19 indices of a limb chain's left and right joints."""
    sk = runningpose19()
    return [sk.index(f'left_{j}') for j in chain], [sk.index(f'right_{j}') for j in chain]


def apply_swaps(values: np.ndarray, swapped: np.ndarray) -> np.ndarray:
    """Exchange left and right of each chain in the frames marked swapped.

    Args:
        values (np.ndarray): (T, 19, ...) per-keypoint values (positions, scores).
        swapped (np.ndarray): (T, len(SWAP_CHAINS)) bool, from ``fix_left_right_swaps``.

    Returns:
        np.ndarray: a copy with the marked chains exchanged.
    """
    out = np.array(values, copy=True)
    for c, chain in enumerate(SWAP_CHAINS.values()):
        left, right = _chain_indices(chain)
        rows = np.flatnonzero(swapped[:, c])
        out[np.ix_(rows, left + right)] = out[np.ix_(rows, right + left)]
    return out


def fix_left_right_swaps(keypoints: np.ndarray, switch_cost: float = 0.05,
                         keep_cost: float = 0.01, max_swap_frames: Optional[int] = None
                         ) -> Tuple[np.ndarray, np.ndarray]:
    """Undo a detector's left/right swaps of legs and arms.

    Per limb chain, a two-state path (as detected / swapped) is chosen for the whole
    clip by dynamic programming (Viterbi): the cost of a frame is how far the chain's
    joints jump from the previous frame (squared, in units of the person's torso
    length), a change of state costs ``switch_cost`` and every swapped frame
    ``keep_cost`` (the detector's labels are right unless the motion says otherwise).
    A swap shows as two jumps (into and out of it) that the swapped path avoids; legs
    crossing in a side view cost nothing either way, so they are left alone. Detector
    swaps are brief: a swapped stretch longer than ``max_swap_frames`` is not undone (on
    a real clip such a stretch was the fixer's mistake, between two one-frame glitches).

    Args:
        keypoints (np.ndarray): (T, 19, 2) runningpose19 pixels, NaN where absent.
        max_swap_frames (int, optional): longest stretch to undo (default: no limit).

    Returns:
        tuple: corrected keypoints (T, 19, 2) and (T, len(SWAP_CHAINS)) bool, the frames
        each chain was swapped back in.
    """
    sk = runningpose19()
    kp = np.array(keypoints, dtype=np.float64)
    torso = np.linalg.norm(kp[:, sk.index('thorax')] - kp[:, sk.index('root')], axis=-1)
    scale = float(np.nanmedian(torso)) if np.isfinite(torso).any() else 1.0
    swapped = np.zeros((len(kp), len(SWAP_CHAINS)), bool)
    for c, chain in enumerate(SWAP_CHAINS.values()):
        left, right = _chain_indices(chain)
        views = [kp[:, left + right], kp[:, right + left]]  # state 0: as detected, 1: swapped
        num = len(kp)
        cost = np.array([0.0, keep_cost])
        back = np.zeros((num, 2), np.int64)
        for t in range(1, num):
            new = np.empty(2)
            for s in (0, 1):
                jump = [np.nansum(((views[s][t] - views[p][t - 1]) / scale)**2) +
                        (switch_cost if s != p else 0.0) for p in (0, 1)]
                back[t, s] = int(np.argmin(np.array(jump) + cost))
                new[s] = cost[back[t, s]] + jump[back[t, s]] + (keep_cost if s else 0.0)
            cost = new
        state = int(np.argmin(cost))
        for t in range(num - 1, -1, -1):
            swapped[t, c] = bool(state)
            state = back[t, state]
        if max_swap_frames is not None:
            for a, b in gap_runs(swapped[:, c]):
                if b - a > max_swap_frames:
                    swapped[a:b, c] = False
    return apply_swaps(kp, swapped), swapped


def main_runner_keypoints(frames: Sequence[List[dict]]
                          ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The main runner's keypoints in every frame (``select_main_track``).

    Args:
        frames: per frame, the people found (``bbox``, ``keypoints`` (K, 2),
            ``keypoint_scores`` (K,)); at least one person somewhere.

    Returns:
        tuple: (T, K, 2) keypoints (NaN where the runner is not seen), (T, K) scores (0
        there) and the (T,) instance index per frame (-1 where absent).
    """
    chosen = select_main_track(frames)
    found = next(frames[t][i] for t, i in enumerate(chosen) if i >= 0)
    num_keypoints = len(found['keypoints'])
    keypoints = np.full((len(frames), num_keypoints, 2), np.nan)
    scores = np.zeros((len(frames), num_keypoints))
    for t, i in enumerate(chosen):
        if i >= 0:
            keypoints[t] = frames[t][i]['keypoints']
            scores[t] = frames[t][i]['keypoint_scores']
    return keypoints, scores, chosen


def fill_2d_gaps(keypoints: np.ndarray, scores: np.ndarray, max_gap_frames: int,
                 min_score: float = 0.0) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interpolate short dropouts of each keypoint; keep long ones missing.

    A keypoint is missing only where it is truly absent: no position, or a score of at
    most ``min_score`` (0: the detector found no one). Low-confidence positions are kept:
    in a side view the far arm and leg are hidden behind the body in nearly every frame
    and every detector scores them low, yet their positions still say where the limb
    is; dropping them would discard every frame (the lifter is trained with such limbs
    jittered, see ``mocap.corruption``).

    Args:
        keypoints (np.ndarray): (T, K, 2) pixels (NaN where absent).
        scores (np.ndarray): (T, K) confidences.
        max_gap_frames (int): longest gap to interpolate (linearly).
        min_score (float): scores at or below this mark a keypoint absent.

    Returns:
        tuple: filled keypoints (T, K, 2), scores (interpolated samples get the lower of
        their neighbours' scores, halved), and (T,) frames where every keypoint is known.
    """
    kp = np.array(keypoints, dtype=np.float64)
    sc = np.array(scores, dtype=np.float64)
    missing = ~np.isfinite(kp).all(axis=-1) | ~(sc > min_score)
    kp[missing] = np.nan
    kp = fill_short_gaps(kp, max_gap_frames, method='linear')
    filled = missing & np.isfinite(kp).all(axis=-1)
    for j in range(kp.shape[1]):
        for a, b in gap_runs(filled[:, j]):
            sc[a:b, j] = 0.5 * min(sc[a - 1, j], sc[b, j])
    valid = np.isfinite(kp).all(axis=(1, 2))
    return kp, sc, valid


def lift_clip(lifter: WholeSequenceLifter, keypoints: np.ndarray, scores: np.ndarray,
              video_fps: float, image_size: Tuple[int, int],
              model_fps: Optional[float] = None, max_gap_s: float = 0.2,
              min_segment_s: float = 0.1, fix_swaps: bool = True,
              equalise_bones: bool = True) -> LiftedSequence:
    """Lift a runner's whole clip.

    Args:
        lifter: the dilated lifter.
        keypoints (np.ndarray): (T, 19, 2) runningpose19 pixels at the video's frames.
        scores (np.ndarray): (T, 19).
        video_fps (float): frame rate of the video.
        image_size (tuple): (w, h) pixels (the normalisation of training).
        model_fps (float, optional): frame rate the lifter was trained at; default the
            lifter's own (``lifter.fps``, from its checkpoint). Another rate than the
            lifter's is an error.
        max_gap_s (float): keypoint dropouts up to this long are interpolated.
        min_segment_s (float): shorter runs of complete frames are not lifted.
        fix_swaps (bool): undo the detector's left/right swaps of legs and arms first
            (``fix_left_right_swaps``; the frames touched are counted in ``meta``).
        equalise_bones (bool): give each left/right pair of lifted bones one length for
            the clip, from the frames where the detector saw them
            (``Skeleton.equalise_left_right``; the factors are in ``meta``). A lifter
            lifts a limb the detector only guessed at face value: in a side view the
            hidden far arm, which detectors draw as a copy of the near one, comes out
            13-17 % longer than the near arm on the real treadmill clip. Costs 0.1 mm
            (clean 2D) and 0.4 mm (detector-like) of MPJPE on the held-out Tindra2.

    Returns:
        LiftedSequence: at the video's frames; ``valid`` False in long gaps.
    """
    if keypoints.ndim != 3 or keypoints.shape[1:] != (19, 2):
        raise ValueError(f'expected (T, 19, 2) runningpose19 keypoints, got {keypoints.shape}')
    if len(keypoints) < 2:
        raise ValueError(f'a clip of {len(keypoints)} frame(s) cannot be lifted in time; '
                         'at least 2 are needed')
    if not video_fps > 0:
        raise ValueError(f'video_fps must be > 0, got {video_fps}')
    if model_fps is None:
        model_fps = lifter.fps
    if model_fps is None:
        raise ValueError('the lifter\'s frame rate is unknown: load it with load_lifter() '
                         '(its checkpoint records it) or pass model_fps')
    if lifter.fps is not None and abs(float(model_fps) - lifter.fps) > 1e-6:
        from ..models.lifter_meta import LifterMetaError
        raise LifterMetaError(f'the lifter was trained at {lifter.fps:g} fps; lifting at '
                              f'{float(model_fps):g} fps would feed it motion at the wrong '
                              'speed')
    swapped = np.zeros((len(keypoints), len(SWAP_CHAINS)), bool)
    if fix_swaps:
        # detector swaps last a few frames; longer stretches are left as detected
        keypoints, swapped = fix_left_right_swaps(
            keypoints, max_swap_frames=max(1, int(round(0.25 * video_fps))))
        scores = apply_swaps(np.asarray(scores, dtype=np.float64), swapped)  # follow them
    kp, sc, valid = fill_2d_gaps(keypoints, scores, int(round(max_gap_s * video_fps)))
    out = np.full((len(kp), 19, 3), np.nan)
    root = np.full((len(kp), 3), np.nan) if lifter.has_trajectory else None
    t_video = np.arange(len(kp)) / video_fps
    for a, b in gap_runs(valid):
        if (b - a) / video_fps < min_segment_s:
            valid[a:b] = False
            continue
        segment = resample_in_time(kp[a:b], video_fps, model_fps)  # (T', 19, 2)
        segment_scores = resample_in_time(sc[a:b, :, None], video_fps, model_fps)[..., 0]
        lifted = lifter(segment, image_size, with_trajectory=lifter.has_trajectory,
                        scores=segment_scores)
        poses, traj = lifted if lifter.has_trajectory else (lifted, None)
        t_model = t_video[a] + np.arange(len(poses)) / model_fps
        # the resampled grid can end up to one model frame before the last video frame:
        # that frame holds the last pose (< 1 model frame) instead of being dropped
        inside = t_video[a:b] <= t_model[-1] + 1.0 / model_fps + 1e-9
        idx = np.arange(a, b)[inside]
        flat = poses.reshape(len(poses), -1)
        out[idx] = np.stack([np.interp(t_video[idx], t_model, flat[:, c])
                             for c in range(flat.shape[1])], -1).reshape(-1, 19, 3)
        if traj is not None:
            root[idx] = np.stack([np.interp(t_video[idx], t_model, traj[:, c])
                                  for c in range(3)], -1)
        valid[np.arange(a, b)[~inside]] = False
    meta = dict(image_size=list(image_size), model_fps=model_fps,
                left_right_swaps_fixed={name: int(swapped[:, c].sum()) for c, name
                                        in enumerate(SWAP_CHAINS)})
    if equalise_bones and valid.any():
        threshold = lifter.confidence_threshold
        seen = sc > (SEEN_SCORE if threshold is None else threshold)
        sk = runningpose19()
        out, factors = sk.equalise_left_right(out, seen)
        meta['bone_length_factors'] = {  # links whose length changed
            f'{sk.names[p]}-{sk.names[c]}': round(float(f), 3)
            for (p, c), f in zip(sk.links, factors) if abs(f - 1) > 5e-4}
    return LiftedSequence(out, video_fps, kp, sc, root, valid, meta)
