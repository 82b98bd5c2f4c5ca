"""The released runningpose19 lifter shipped inside the package.

``released/runningpose19_tcn81.pth`` holds the weights with their meta: the frame rate
and keypoint definition they were trained on, the recipe and its held-out figures: one
or more models (an ensemble, outputs averaged) stored compactly (int8 kernels,
``lifting.MEMBERS_KEY``; ``load_lifter`` also reads a plain ``state_dict``), as float32.
``released/MODEL_CARD.md`` says the same for people. Its config is
``configs/runningpose_tcn_released.py``.
"""
import os
import os.path as osp
import textwrap
from typing import Optional, Sequence, Tuple, Union

from ..skeleton import config_dir

RELEASED_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'released')
RELEASED_WEIGHTS = osp.join(RELEASED_DIR, 'runningpose19_tcn81.pth')
RELEASED_CONFIG_NAME = 'runningpose_tcn_released.py'


class ReleasedLifterMissing(FileNotFoundError):
    """The released weights are not in this installation."""


def released_lifter() -> Tuple[str, str]:
    """(config, weights) of the released lifter."""
    config = osp.join(config_dir(), RELEASED_CONFIG_NAME)
    if not osp.isfile(RELEASED_WEIGHTS):
        raise ReleasedLifterMissing(
            f'the released lifter is not in this installation ({RELEASED_WEIGHTS}); '
            'reinstall runningpose_mm, or pass --lifter-config and --lifter-weights')
    return config, RELEASED_WEIGHTS


def held_out_check(lifter, shared_data: str, cameras: int = 4, seed: int = 0) -> dict:
    """MPJPE of a lifter on a small fixed slice of the held-out Qualisys trial (Tindra2
    through ``cameras`` seeded virtual cameras, clean 2D, the video path's lift_clip):
    what the released model card states and a test recomputes.

    Returns:
        dict: ``mpjpe_mm`` (root-relative, every joint), ``p_mpjpe_mm``, ``frames``.
    """
    import numpy as np

    from ..evaluation.functional import align_procrustes, mpjpe
    from ..mocap.dataset_builder import (BuildConfig, project_sequence, select_camera_views,
                                         shared_data_trials)
    from ..mocap.timeseries import resample_in_time
    from .video_lifting import lift_clip
    trial = next((t for t in shared_data_trials(shared_data) if t.name == 'Tindra2'), None)
    if trial is None:
        raise FileNotFoundError(f'Tindra2 not found in {shared_data}')
    data = trial.load_joints()
    joints = resample_in_time(data.joints_m, data.rate_hz, lifter.fps)
    visible = np.isfinite(joints).all(axis=-1)
    config = BuildConfig(fps=lifter.fps, cameras_per_trial=cameras)
    views = select_camera_views(joints, visible, config, np.random.default_rng(seed),
                                trial.name)
    preds, truths = [], []
    for camera, frames in views:
        cam3d, kp2d, _, _ = project_sequence(joints[frames], visible[frames], camera)
        lifted = lift_clip(lifter, kp2d, np.ones(kp2d.shape[:2]), lifter.fps,
                           (camera.w, camera.h), fix_swaps=False)
        preds.append(lifted.keypoints_3d - lifted.keypoints_3d[:, :1])
        truths.append(cam3d - cam3d[:, :1])
    pred, truth = np.concatenate(preds), np.concatenate(truths)
    mask = np.ones(pred.shape[:2], bool)
    return dict(mpjpe_mm=1000 * mpjpe(pred, truth, mask),
                p_mpjpe_mm=1000 * mpjpe(align_procrustes(pred, truth, mask), truth, mask),
                frames=int(len(pred)),
                cameras=cameras, seed=seed)


def export_released(checkpoint_paths: Union[str, Sequence[str]], config: str, results: dict,
                    out_path: str = RELEASED_WEIGHTS, shared_data: Optional[str] = None) -> str:
    """Write trained checkpoints as the released lifter: compact weights (about 3.3 MB
    per member), the lifter meta, the recipe's figures (``results``) and the held-out
    check of the weights as stored; then the model card beside it.

    Several checkpoints (the recipe trained with several seeds) make one ensemble file,
    ``load_lifter`` averages the members' 3D. Each member is stored compactly
    (``weights.pack_state_dict``: int8 kernels, about 3.3 MB per member) under
    ``lifting.MEMBERS_KEY``; ``tools/test.py`` evaluates such a file whole."""
    import torch
    from mmengine.runner import CheckpointLoader

    from ..models.lifter_meta import META_KEY
    from .lifting import MEMBERS_KEY, load_lifter
    from ..models.codecs import confidence_threshold
    from .runner import load_config
    from .weights import pack_state_dict
    paths = [checkpoint_paths] if isinstance(checkpoint_paths, str) else list(checkpoint_paths)
    states, lifter_meta = [], None
    for path in paths:
        checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
        meta = dict(checkpoint.get('meta') or {})
        if META_KEY not in meta:
            raise ValueError(f'{path}: no {META_KEY!r} meta (frame rate, keypoints): train '
                             'with the LifterMetaHook (configs/_base_/default_runtime.py)')
        if lifter_meta is not None and meta[META_KEY] != lifter_meta:
            raise ValueError(f'{path}: lifter meta {meta[META_KEY]} differs from the first '
                             f"member's {lifter_meta}")
        lifter_meta = meta[META_KEY]
        states.append(pack_state_dict(checkpoint['state_dict']))
    threshold = confidence_threshold(load_config(config).model)
    if threshold is not None:  # checkpoints from before it was recorded: the config's
        lifter_meta.setdefault('confidence_threshold', threshold)
    released = dict(config=osp.basename(config), members=len(states), **_plain(results))

    def save():
        torch.save({MEMBERS_KEY: states, 'meta': {META_KEY: lifter_meta,
                                                  'released': released}}, out_path)
    os.makedirs(osp.dirname(out_path), exist_ok=True)
    save()
    shared_data = shared_data or osp.join(osp.dirname(osp.dirname(RELEASED_DIR)), '..',
                                          'shared', 'data')
    if osp.isdir(shared_data):
        # measured on the compact weights as shipped, through the loader users get
        released['held_out_check'] = held_out_check(load_lifter(config, out_path), shared_data)
        save()
    write_model_card(released, lifter_meta, osp.join(osp.dirname(out_path), 'MODEL_CARD.md'))
    return out_path


def weights_fingerprint(path: str) -> str:
    """SHA-256 of a lifter file's weights alone (its members' tensors, not its meta): the
    same after ``add_release_results`` rewrites the meta, so figures measured on a file can
    be checked against the file they are added to."""
    import hashlib

    import torch

    from .lifting import MEMBERS_KEY
    checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    states = checkpoint[MEMBERS_KEY] if MEMBERS_KEY in checkpoint else \
        [checkpoint.get('state_dict', checkpoint)]
    digest = hashlib.sha256()

    def feed(value):
        if isinstance(value, dict):
            for key in sorted(value):
                digest.update(str(key).encode())
                feed(value[key])
        elif torch.is_tensor(value):
            digest.update(str(value.dtype).encode())
            digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    for state in states:
        feed(state)
    return digest.hexdigest()


def add_release_results(cross_athlete: Optional[dict] = None,
                        leave_one_out: Optional[dict] = None,
                        path: str = RELEASED_WEIGHTS) -> dict:
    """Add figures measured after export to a released file's meta and rewrite its model
    card: ``cross_athlete`` (``benchmarks/cross_athlete.py --json`` on these very weights:
    checked by ``weights_fingerprint``) and ``leave_one_out`` (the recipe's
    ``leave_one_out.json``). The weights are not touched. Returns the ``released`` meta."""
    import torch
    checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    meta = checkpoint.get('meta') or {}
    if 'released' not in meta:
        raise ValueError(f'{path}: not a released lifter file (no released meta)')
    released = meta['released']
    if cross_athlete is not None:
        measured = cross_athlete.get('weights_fingerprint')
        if measured != weights_fingerprint(path):
            raise ValueError(
                f'the cross-athlete figures were measured on other weights than {path} '
                f"(fingerprint {measured or 'none: a checkpoint, not a released file'}): run "
                'benchmarks/cross_athlete.py --lifter released --json on this file')
        released['cross_athlete'] = _plain(cross_athlete)
    if leave_one_out is not None:
        released['leave_one_out'] = _plain(leave_one_out)
    torch.save(checkpoint, path)
    from ..models.lifter_meta import META_KEY
    write_model_card(released, meta[META_KEY], osp.join(osp.dirname(path), 'MODEL_CARD.md'))
    return released


def format_leave_one_out(table: dict) -> str:
    """Held-out trial -> the recipe's results (``tools/train_released.py``) -> a
    Markdown table: each 2D input's MPJPE, P-MPJPE, feet and forefeet, epochs, minutes."""
    lines = ['| held-out trial | 2D input | MPJPE | P-MPJPE | feet | forefeet L / R | epochs | '
             'train min |', '|---|---|---|---|---|---|---|---|']
    for trial, results in table.items():
        for label, m in results['tests'].items():
            lines.append(f"| {trial} | {label} | {m['MPJPE']:.1f} | {m['P-MPJPE']:.1f} | "
                         f"{m['MPJPE/feet']:.1f} | {m['MPJPE/left_forefoot']:.1f} / "
                         f"{m['MPJPE/right_forefoot']:.1f} | {results['epochs']} | "
                         f"{results['train_minutes']} |")
    return '\n'.join(lines)


def write_model_card(released: dict, lifter_meta: dict, path: str) -> str:
    """Write the released lifter's model card (``model_card_text``) to ``path``."""
    with open(path, 'w') as f:
        f.write(model_card_text(released, lifter_meta))
    return path


def model_card_text(released: dict, lifter_meta: dict) -> str:
    """The released lifter's model card (Markdown) from its recipe figures (the
    ``released`` meta of the weights file) and its lifter meta."""
    tests = released.get('tests', {})

    def figures(metrics):
        feet = [metrics.get(f'MPJPE/{j}') for j in ('left_forefoot', 'right_forefoot')]
        return (f"{metrics.get('MPJPE', float('nan')):.1f} | "
                f"{metrics.get('P-MPJPE', float('nan')):.1f} | "
                f"{metrics.get('MPJPE/feet', float('nan')):.1f} | "
                + ' / '.join(f'{v:.1f}' for v in feet if v is not None))
    rows = '\n'.join(f'| {name} | {figures(m)} |' for name, m in tests.items())
    check = released.get('held_out_check', {})
    members = int(released.get('members', 1))
    per_epoch = f"{released['train_minutes'] / released['epochs'] / members:.1f}" \
        if released.get('train_minutes') and released.get('epochs') else '?'
    seeds = released.get('seeds') or [0]
    side_by_side = '' if int(released.get('jobs', 1)) < 2 else (
        f"; {released['jobs']} at a time (`--jobs {released['jobs']}`), "
        f"{released.get('wall_minutes', '?')} min in all")
    # the recipe's options (files exported before they were recorded: that recipe's)
    recipe = {**dict(synthetic=200, cameras=4, real_cameras=80, far_arm_copy=0.0,
                     body_scale=[0.0, 0.0], lower_body_cameras=0), **released.get('recipe', {})}
    seen_input = '' if lifter_meta.get('confidence_threshold') is None else f"""
- **Input**: each keypoint's 2D position and a seen flag (its detector score above
  {lifter_meta['confidence_threshold']:g}; 0 for guesses such as the far arm hidden in a
  side view, and for gaps filled by interpolation; `runningpose_mm/models/codecs.py`).
  Without scores every keypoint counts as seen."""
    copies = '' if not recipe['far_arm_copy'] else (
        f", and in {100 * recipe['far_arm_copy']:g} % of those views the hidden far arm "
        'drawn as detectors guess it, a copy of the near arm')
    options = ''.join(f' --{k.replace("_", "-")} {v:g}' for k, v in recipe.items()
                      if k == 'far_arm_copy' and v) + \
        f" --lower-body-cameras {recipe['lower_body_cameras']}"
    member_figures = [m.get('clean', {}).get('MPJPE')
                      for m in released.get('member_tests', [])]
    spread = '' if not member_figures or not all(member_figures) or 'clean' not in tests else (
        f"\nWith clean 2D on the held-out trial the members score "
        f"{' / '.join(f'{v:.1f}' for v in member_figures)} mm,\ntheir mean "
        f"{tests['clean']['MPJPE']:.1f} mm.")
    ensemble = '' if members == 1 else f"""
An **ensemble of {members} trainings** of the same recipe (seeds {', '.join(map(str, seeds))}:
each draws other synthetic runners, cameras and 2D noise): the 3D is the mean of the
members' 3D.{spread}
"""
    names = released.get('real_trials') or []
    lower_body = released.get('lower_body_trials') or []  # upper body modelled, in names
    whole = [n for n in names if n not in lower_body]
    real_trials = '\n  '.join(textwrap.wrap(
        'the real Qualisys trial(s) with whole skeletons except the held-out trial '
        f"({released.get('hold_out') or 'none'})" if not names else
        f"the real trials {', '.join(whole)}" + (
            " (Hamner's knees and head estimated from its thigh, shank and trunk markers, "
            '`hamner_opensim_estimated`; held out: '
            if any(n.startswith('hamner') for n in names) else ' (held out: ') +
        f"{released.get('hold_out') or 'none'}" +
        (f"; kept out: {', '.join(released['kept_out'])}" if released.get('kept_out') else '')
        + ')', 78))
    if lower_body:
        lower_body_text = textwrap.fill(
            f"The lower-body trials {', '.join(lower_body)} (RBDS subject 001, treadmill, a "
            'forefoot striker; knees from its thigh and shank clusters) teach legs and feet '
            f"through {recipe['lower_body_cameras']} views each: their upper body is the "
            "synthetic runner's, driven by their thighs, as 2D input only and never a 3D "
            'target (`TrialSource.model_upper_body`).', 86, initial_indent='  ',
            subsequent_indent='  ')
    else:
        lower_body_text = textwrap.fill(
            'The lifter takes only frames with every joint (as inference lifts only '
            'those), so trials whose marker set lacks joints (RBDS: the upper body) are '
            'left out.', 86, initial_indent='  ', subsequent_indent='  ')
    cross = released.get('cross_athlete') or {}
    trained_same_runner = [t for t in cross.get('same_runner_trials', []) if t in names]
    cross_note = cross.get('note') or (
        f"The same runner's {', '.join(trained_same_runner)} is in the training data."
        if trained_same_runner else 'The runner is in no training data.')
    gait_rows = '\n'.join(
        f"| {trial} | {g['contacts']} | {g['ic_mae_ms']:.1f} ({g['ic_bias_ms']:+.1f}) | "
        f"{g['to_mae_ms']:.1f} ({g['to_bias_ms']:+.1f}) | "
        f"{g['contact_mae_ms']:.1f} ({g['contact_bias_ms']:+.1f}) |"
        for trial, g in cross.get('gait', {}).items())
    cross_athlete = '' if not cross else f"""
## Another runner: {cross['trial']} (kept out)

Hamner & Delp's subject 4 (treadmill, another lab and marker set; knees and head
estimated), a trial never trained on nor used to select: `python
benchmarks/cross_athlete.py --trials {cross['trial'].replace('hamner_', '')}`.
{textwrap.fill(cross_note, 90)}

| 2D input | MPJPE | P-MPJPE | feet | forefeet L / R |
|---|---|---|---|---|
{chr(10).join(f'| {name} | {figures(cross[name])} |' for name in ('clean', 'detector-like')
              if name in cross)}

The video path (`lift_clip`, side views, clean 2D) against the force plates, ms, MAE
(bias):

| trial | contacts | initial contact | toe-off | contact time |
|---|---|---|---|---|
{gait_rows}
"""
    leave_one_out = '' if not released.get('leave_one_out') else f"""
## Leave one trial out

The same recipe trained once per real whole-skeleton trial, that trial held out (never
trained on, never used to select): `python tools/train_released.py --leave-one-out`.

{format_leave_one_out(released['leave_one_out'])}
"""
    text = f"""# Released runningpose19 lifter

`runningpose19_tcn81.pth` (int8 kernels with a float16 scale per channel, other weights
float16; loaded as float32) with
`configs/{released.get('config', RELEASED_CONFIG_NAME)}`: a VideoPose3D-style temporal
convolutional lifter (81-frame receptive field, 512 channels) from runningpose19 2D
keypoints (pixels, normalised as in training) to pelvis-relative 3D in the camera frame
(metres). The default of `RunningPoseInferencer`, `tools/infer.py` and
`tools/gait_report.py`.
{ensemble}
- **Frame rate**: {lifter_meta['fps']:g} fps (recorded in the checkpoint; clips are
  resampled to it).{seen_input}
- **Keypoints**: {lifter_meta['keypoints']}, as defined in
  `configs/_base_/datasets/runningpose19.py` (forefoot at
  {lifter_meta.get('forefoot_fraction', 0.7):g} of heel -> toe tip).
- **Training data**: {real_trials}, each through {recipe['real_cameras']}
  virtual cameras (side, oblique, front and back views, landscape and portrait, 30-75 %
  person height, the runner anywhere in the frame), and synthetic runners (a model: feet
  that roll over heel, forefoot and toes, a pelvis that falls freely in flight; 2.5-7
  m/s, all strike patterns, treadmill and overground, segment proportions varied by
  5 %) through {recipe['cameras']} cameras each; half of the views with detector-like 2D
  (jitter, slow drift, dropouts, left/right limb swaps, far-side limbs jittered with low
  scores, constant per-joint offsets, larger at the hips{copies}). 2D is normalised by
  the image's longer side.
{lower_body_text}
  {released.get('windows', '?')} training windows.
- **Recipe**: `python tools/train_released.py --synthetic {recipe['synthetic']}
  --cameras {recipe['cameras']} --real-cameras {recipe['real_cameras']}{options}
  --epochs {released.get('epochs', '?')} --members {members} --export`
  ({released.get('epochs', '?')} epochs per member, {released.get('train_minutes', '?')} min
  of training summed over the members on a 2-core CPU, {per_epoch} min per epoch of
  each{side_by_side}).

## Held-out accuracy: {released.get('hold_out') or 'no held-out trial'}

The held-out trial is never trained on, nor used to select the checkpoint.

MPJPE and P-MPJPE over all 19 joints (mm, root-relative; the root's zero error counts, as
in the Human3.6M protocol); feet = ankles + forefeet; forefeet left / right.

| 2D input | MPJPE | P-MPJPE | feet | forefeet L / R |
|---|---|---|---|---|
{rows}

Shipped-weights check (`runningpose_mm.apis.released.held_out_check`: Tindra2 through
{check.get('cameras', '?')} seeded virtual cameras, clean 2D, the video path's
`lift_clip`, these weights as shipped): MPJPE {check.get('mpjpe_mm', float('nan')):.1f} mm,
P-MPJPE {check.get('p_mpjpe_mm', float('nan')):.1f} mm on {check.get('frames', '?')} frames;
`tests/test_released.py` recomputes it.
{cross_athlete}{leave_one_out}
## Known limits

- The real runners are those of the training data above; other runners come from the
  synthetic model. Clothing, shoes and body types beyond these are not represented:
  `python benchmarks/cross_athlete.py` measures the lifter on Hamner's subject 4 at a
  speed it never trained on.
- Training cameras are static and without lens distortion; the 2D corruption is
  modelled, not learned from a detector. A phone that pans to follow the runner:
  `python benchmarks/camera_panning.py` lifts held-out views both ways.
- A limb the detector never sees (the far arm in a side view: every detector guesses it,
  MediaPipe as a copy of the near arm) is lifted as guessed. The video path gives each
  left/right pair of bones one length per clip, from the frames where the detector saw
  them (`Skeleton.equalise_left_right`; the table above is the lifter's own output, the
  shipped-weights check the video path's).
- Detector keypoints are assumed to mean the runningpose19 definitions; the hip points of
  detectors are not moved to joint centres (no measured offset).
- No root trajectory: speed, step length and vertical oscillation are not available from
  this lifter; gait events use the pelvis-relative ground reconstruction. The recipe with
  VideoPose3D's trajectory branch (`--config configs/runningpose_tcn_traj.py`) measured
  a mean root position error of 2.9-3.1 m on its validation runners: the virtual cameras
  frame the runner at any distance, and 2D normalised by the image size does not tell
  the distance (a known focal length would).
"""
    return text


def _plain(value):
    """JSON-like copy (numbers, strings, lists, dicts) for the checkpoint's meta."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, 'item'):
        return value.item()
    return value
