"""Mocap trials -> RunningPose annotation files (what ``RunningPoseDataset`` reads).

Per trial: joints (from markers and a marker map, or from the synthetic runner) ->
resampled to the target frame rate -> projected into N cameras -> rows of 3D (camera
frame, metres), 2D (pixels) and visibilities, grouped by sequence (trial x camera).
"""
import json
import os
import os.path as osp
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .cameras import Camera, VirtualRigConfig, sample_virtual_cameras
from .corruption import DetectorNoiseConfig, corrupt_keypoints_2d
from .timeseries import longest_run, resample_in_time
from .marker_map import JointData, MarkerMap, joints_from_markers
from .readers import read_markers
from .synthetic import UPPER_BODY, RunnerParams, model_upper_body, synthesize_run

SPLITS = ('train', 'val', 'test')


@dataclass
class TrialSource:
    """One trial to put in the dataset.

    Attributes:
        name (str): unique trial name (used in sequence names).
        split (str): 'train', 'val' or 'test' (split by trial: frames of one trial never
            land in two splits).
        subject (str): who ran (for per-subject splits and reports).
        path (str, optional): marker file (.txt, .tsv, .trc, .c3d).
        marker_map (str, optional): shipped map name or map file, for ``path``.
        reader_kwargs (dict): extra arguments for the reader (e.g. ``rate_hz``).
        synthetic (RunnerParams, optional): make the trial with the synthetic runner.
        synthetic_duration_s (float): length of a synthetic trial.
        num_cameras (int, optional): virtual cameras for this trial (default: the build
            config's ``cameras_per_trial``).
        model_upper_body (bool): the marker set has no upper body (RBDS): give the trial
            the synthetic runner's trunk, head and arms driven by its measured thighs
            (``synthetic.model_upper_body``) as 2D input, so that its legs and feet teach
            the lifter as 3D targets; the modelled joints are never targets
            (``keypoints_3d_visible`` 0: the loss and the metrics skip them).
    """
    name: str
    split: str
    subject: str = ''
    path: Optional[str] = None
    marker_map: Optional[str] = None
    reader_kwargs: Dict = field(default_factory=dict)
    synthetic: Optional[RunnerParams] = None
    synthetic_duration_s: float = 4.0
    num_cameras: Optional[int] = None
    model_upper_body: bool = False

    def __post_init__(self):
        if self.split not in SPLITS:
            raise ValueError(f'trial {self.name}: split must be one of {SPLITS}, got '
                             f'{self.split!r}')
        if (self.path is None) == (self.synthetic is None):
            raise ValueError(f'trial {self.name}: give either a marker file or synthetic '
                             'runner parameters')
        if self.path is not None and self.marker_map is None:
            raise ValueError(f'trial {self.name}: a marker file needs a marker_map')

    def load_joints(self, max_gap_frames: int = 10) -> JointData:
        if self.synthetic is not None:
            run = synthesize_run(self.synthetic, self.synthetic_duration_s, rate_hz=200.0)
            visible = np.isfinite(run.joints_m).all(axis=-1)
            return JointData(run.joints_m, visible, run.rate_hz, f'synthetic:{self.name}')
        markers = read_markers(self.path, **self.reader_kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')  # missing joints are reported in the summary
            return joints_from_markers(markers, MarkerMap.load(self.marker_map),
                                       max_gap_frames=max_gap_frames)


@dataclass
class BuildConfig:
    """How to turn trials into annotation files.

    Attributes:
        fps (float): target frame rate of every sequence.
        cameras_per_trial (int): virtual cameras per trial (ignored with
            ``calibrated_cameras``).
        rig (VirtualRigConfig): distribution of virtual cameras.
        calibrated_cameras (list[Camera], optional): use these real cameras instead.
        noise (DetectorNoiseConfig, optional): corrupt 2D like a detector (None: clean
            projections).
        noise_fraction (float): share of the camera views that get ``noise`` (the rest
            stay clean), so one dataset teaches both.
        noise_splits (tuple): the splits whose views may get ``noise``.
        seed (int): seed of cameras and noise.
        body_scale_sd (tuple): (per segment, whole body) standard deviations of the
            length factors that give each view of a marker trial in the train split its
            own body (``sample_body_scale``; the mirrored segments share a factor): one
            athlete's motion on many bodies, as the synthetic runners' proportions vary.
            (0, 0): the athlete's own body in every view.
        max_gap_frames (int): marker gaps filled up to this length (at the mocap rate).
        min_frames_in_view (int): a virtual camera must see the whole runner for this
            many consecutive frames (else it is redrawn, up to ``camera_retries`` times).
    """
    fps: float = 50.0
    cameras_per_trial: int = 8
    rig: VirtualRigConfig = field(default_factory=VirtualRigConfig)
    calibrated_cameras: Optional[List[Camera]] = None
    noise: Optional[DetectorNoiseConfig] = None
    noise_fraction: float = 1.0
    noise_splits: Tuple[str, ...] = SPLITS
    seed: int = 0
    body_scale_sd: Tuple[float, float] = (0.0, 0.0)
    max_gap_frames: int = 10
    min_frames_in_view: int = 50
    camera_retries: int = 20


def project_sequence(joints_world: np.ndarray, visible: np.ndarray, camera: Camera):
    """Project world joints into one camera.

    Returns:
        tuple: 3D camera frame (T, K, 3) metres, 2D (T, K, 2) pixels, 3D visibility
        (T, K) and 2D visibility (T, K) (in front of the camera and inside the image).
    """
    cam3d = camera.world_to_camera(joints_world)
    in_front = cam3d[..., 2] > 0.1
    with np.errstate(invalid='ignore', divide='ignore'):
        kp2d = camera.project(cam3d)
    inside = (kp2d[..., 0] >= 0) & (kp2d[..., 0] < camera.w) & (kp2d[..., 1] >= 0) & \
        (kp2d[..., 1] < camera.h)
    vis3d = visible & np.isfinite(cam3d).all(axis=-1)
    vis2d = vis3d & in_front & inside
    return cam3d, kp2d, vis3d, vis2d


#: largest body-scale standard deviation: factors are clipped at two of them, so every
#: segment keeps at least 60 % of its length
BODY_SCALE_SD_MAX = 0.2


def valid_body_scale_sd(sd) -> bool:
    """``BuildConfig.body_scale_sd``: two standard deviations within 0-BODY_SCALE_SD_MAX."""
    return len(sd) == 2 and all(0 <= v <= BODY_SCALE_SD_MAX for v in sd)


def sample_body_scale(skeleton, rng, segment_sd: float, body_sd: float
                      ) -> Dict[Tuple[int, int], float]:
    """Length factors for ``Skeleton.scale_bones``: a whole-body factor times one factor per
    segment, the same for a segment and its mirror image (people are nearly symmetric),
    each drawn from a normal distribution clipped at two standard deviations."""
    def draw(sd):
        return float(np.clip(rng.normal(1.0, sd), 1 - 2 * sd, 1 + 2 * sd)) if sd else 1.0

    body = draw(body_sd)
    factors = {}
    flip = skeleton.flip_indices
    for parent, child in skeleton.links:
        mirror = (flip[parent], flip[child])
        factors[(parent, child)] = factors.get(mirror) or body * draw(segment_sd)
    return factors


def select_camera_views(joints, visible, config: BuildConfig, rng, trial_name: str,
                        num_cameras: Optional[int] = None):
    """(camera, frames) pairs: each camera with the longest run of frames in which every
    joint is known and inside its image (frames with a joint missing in the mocap are
    never used: see ``build_dataset``). Virtual cameras whose run is shorter than
    ``min_frames_in_view`` are redrawn."""
    if config.calibrated_cameras is not None:
        candidates = [[c] for c in config.calibrated_cameras]
    else:
        candidates = [None] * (num_cameras or config.cameras_per_trial)
    views = []
    for fixed in candidates:
        best = None
        for _ in range(1 if fixed else config.camera_retries):
            camera = fixed[0] if fixed else sample_virtual_cameras(joints, 1, rng,
                                                                   config.rig)[0]
            _, _, vis3d, vis2d = project_sequence(joints, visible, camera)
            start, stop = longest_run(np.all(vis3d & vis2d, axis=1))
            if stop > start and (best is None or stop - start > best[1].stop - best[1].start):
                best = (camera, slice(int(start), int(stop)))
            if best and best[1].stop - best[1].start >= min(config.min_frames_in_view,
                                                            len(joints)):
                break
        if best is None or best[1].stop - best[1].start < 2:
            name = fixed[0].name if fixed else 'virtual'
            raise ValueError(f'trial {trial_name}: the runner is never wholly known and '
                             f'inside the image of camera {name}')
        best[0].name = f'{best[0].name[:7]}{len(views):02d}' if not fixed else best[0].name
        views.append(best)
    return views


def build_dataset(trials: Sequence[TrialSource], out_dir: str,
                  config: BuildConfig = BuildConfig(), progress: bool = True) -> dict:
    """Write ``train.npz``/``val.npz``/``test.npz`` and ``summary.json`` into ``out_dir``.

    Args:
        trials: the trials, each with its split.
        out_dir (str): output folder (created).
        config (BuildConfig): frame rate, cameras, noise, seed.
        progress (bool): show a progress bar.

    Returns:
        dict: the summary (also in ``summary.json``): per trial, frames at the mocap rate
        and the target rate, cameras, joints missing, bone-length variation; per split,
        rows and sequences.
    """
    from tqdm import tqdm

    from ..skeleton import runningpose19
    names = [t.name for t in trials]
    if len(set(names)) != len(names):
        raise ValueError(f'trial names must be unique: {names}')
    if not valid_body_scale_sd(config.body_scale_sd):
        raise ValueError('body_scale_sd must be two standard deviations (per segment, whole '
                         f'body) between 0 and {BODY_SCALE_SD_MAX}, got '
                         f'{tuple(config.body_scale_sd)}')
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(config.seed)
    # bodies from a stream of their own: the cameras and noise stay those of the same seed
    # without body scaling, so the two datasets differ in the bodies only
    body_rng = np.random.default_rng([config.seed, 1])
    skeleton = runningpose19()
    rows = {s: dict(k3=[], v3=[], k2=[], v2=[], seq=[], frame=[]) for s in SPLITS}
    sequences = {s: [] for s in SPLITS}
    summary = dict(fps=config.fps, trials={}, splits={},
                   noise=None if config.noise is None else vars(config.noise),
                   noise_fraction=config.noise_fraction,
                   body_scale_sd=list(config.body_scale_sd), skipped_incomplete_2d=[])
    skipped = summary['skipped_incomplete_2d']
    # disable=None: no bar when the output is not a terminal (a log file)
    bar = tqdm(trials, desc='building RunningPose dataset', unit='trial',
               disable=None if progress else True)
    for trial in bar:
        bar.set_postfix_str(trial.name)
        data = trial.load_joints(config.max_gap_frames)
        joints = resample_in_time(data.joints_m, data.rate_hz, config.fps)
        measured = np.isfinite(joints).all(axis=-1)  # 3D targets
        modelled = []
        if trial.model_upper_body:
            lacking = [n for n in UPPER_BODY if not measured[:, skeleton.index(n)].any()]
            if lacking:
                joints = model_upper_body(joints)
                modelled = lacking
        visible = np.isfinite(joints).all(axis=-1)  # 2D inputs
        if not visible.any(axis=0).all():
            # A missing input is never fed to the lifter: at inference only frames with
            # every keypoint known are lifted (apis.video_lifting.lift_clip), so training
            # windows have every joint too. A marker set that lacks a joint (Hamner: knees,
            # ankles, head) gives no such frame; writing its 2D as pixel (0, 0) taught the
            # network inputs inference never produces.
            skipped.append(trial.name)
            continue
        views = select_camera_views(joints, visible, config, rng, trial.name,
                                    trial.num_cameras)
        bones = skeleton.bone_lengths(np.where(measured[..., None], joints, np.nan))
        summary['trials'][trial.name] = dict(
            split=trial.split, subject=trial.subject, source=data.source,
            frames_mocap=int(data.num_frames), rate_mocap_hz=float(data.rate_hz),
            frames=int(joints.shape[0]), cameras=len(views),
            frames_in_view=[int(v[1].stop - v[1].start) for v in views],
            missing_joints=sorted(data.missing_joints) or
            [skeleton.names[j] for j in np.flatnonzero(~measured.any(axis=0))],
            modelled_joints=modelled,
            bone_length_cv={k: float(np.nanstd(v) / np.nanmean(v)) for k, v in bones.items()
                            if np.isfinite(v).any()})
        scale_bodies = trial.synthetic is None and trial.split == 'train' and \
            any(config.body_scale_sd)
        for camera, frames in views:
            camera.fps = config.fps
            body = joints[frames]
            if scale_bodies:
                body = skeleton.scale_bones(
                    body, sample_body_scale(skeleton, body_rng, *config.body_scale_sd))
            cam3d, kp2d, vis3d, vis2d = project_sequence(body, visible[frames], camera)
            inside = np.all(vis3d & vis2d, axis=1)
            if config.noise is not None and trial.split in config.noise_splits and \
                    rng.random() < config.noise_fraction:
                kp2d, scores = corrupt_keypoints_2d(kp2d, vis2d, config.fps, rng, config.noise,
                                                    depth=cam3d[..., 2])
                vis2d = scores
            if not inside.all():
                # the camera was chosen for the athlete's own body: a scaled body may leave
                # the image; keep its longest run of frames wholly inside (cut after the
                # noise, whose draws then stay those of the unscaled dataset)
                start, stop = longest_run(inside)
                if stop - start < 2:
                    continue
                frames = slice(frames.start + start, frames.start + stop)
                cam3d, kp2d, vis3d, vis2d = (a[start:stop] for a in (cam3d, kp2d, vis3d, vis2d))
            seq_id = len(sequences[trial.split])
            sequences[trial.split].append(dict(
                name=f'{trial.name}__{camera.name}', trial=trial.name, subject=trial.subject,
                fps=config.fps, camera=camera.to_param_dict()))
            r = rows[trial.split]
            target = vis3d & measured[frames]
            r['k3'].append(np.where(target[..., None], cam3d, 0.0))
            r['v3'].append(target.astype(np.float32))
            r['k2'].append(np.where(np.isfinite(kp2d), kp2d, 0.0))
            r['v2'].append(np.asarray(vis2d, dtype=np.float32))
            r['seq'].append(np.full(len(cam3d), seq_id, dtype=np.int32))
            r['frame'].append(np.arange(frames.start, frames.stop, dtype=np.int32))
    for split in SPLITS:
        r = rows[split]
        if not r['seq']:
            continue
        arrays = dict(
            keypoints_3d=np.concatenate(r['k3']).astype(np.float32),
            keypoints_3d_visible=np.concatenate(r['v3']),
            keypoints_2d=np.concatenate(r['k2']).astype(np.float32),
            keypoints_2d_visible=np.concatenate(r['v2']),
            sequence_index=np.concatenate(r['seq']),
            frame_index=np.concatenate(r['frame']),
            sequences_json=np.array(json.dumps(sequences[split])))
        np.savez_compressed(osp.join(out_dir, f'{split}.npz'), **arrays)
        summary['splits'][split] = dict(rows=int(len(arrays['sequence_index'])),
                                        sequences=len(sequences[split]),
                                        trials=sorted({s['trial'] for s in sequences[split]}))
    with open(osp.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2)
    return summary


def format_summary(summary: dict) -> str:
    """Readable table of what ``build_dataset`` wrote."""
    rate = 'frames@' + str(int(summary['fps']))
    lines = [f"{'trial':<24}{'split':<7}{'mocap frames':>13}{rate:>11}"
             f"{'cams':>6}  missing joints / worst bone CV"]
    synthetic = {}
    for name, t in summary['trials'].items():
        if name.startswith('synthetic_'):  # one line per split, not one per runner
            synthetic.setdefault(t['split'], []).append(t)
            continue
        cv = t['bone_length_cv']
        worst = max(cv, key=cv.get) if cv else '-'
        missing = 'upper body modelled (2D input, no 3D target)' \
            if t.get('modelled_joints') else ', '.join(t['missing_joints']) or 'none'
        lines.append(f"{name:<24}{t['split']:<7}{t['frames_mocap']:>13}{t['frames']:>11}"
                     f"{t['cameras']:>6}  {missing} / "
                     f"{worst} {100 * cv.get(worst, float('nan')):.1f}%")
    for split, ts in synthetic.items():
        lines.append(f"{f'synthetic x{len(ts)}':<24}{split:<7}"
                     f"{sum(t['frames_mocap'] for t in ts):>13}{sum(t['frames'] for t in ts):>11}"
                     f"{ts[0]['cameras']:>6}  none / 0.0% (rigid model)")
    if summary.get('skipped_incomplete_2d'):
        lines.append('left out (marker set lacks joints; the lifter only takes frames '
                     'with every joint): ' +
                     ', '.join(summary['skipped_incomplete_2d']))
    for split, s in summary['splits'].items():
        real = [t for t in s['trials'] if not t.startswith('synthetic_')]
        n_syn = len(s['trials']) - len(real)
        lines.append(f'{split}: {s["rows"]} rows in {s["sequences"]} sequences ('
                     + ', '.join(real + ([f'{n_syn} synthetic'] if n_syn else [])) + ')')
    return '\n'.join(lines)


def shared_data_trials(data_dir: str, estimated_joints: bool = True) -> List[TrialSource]:
    """The real trials of ``shared/data`` with their default split.

    Tindra1 (train) and Tindra2 (test) are two sprint starts of one athlete; the Hamner
    subject's 2 m/s trial is marked train and the 3 m/s trial val (another lab, another
    runner, treadmill). Hamner's marker set has no knee or head markers: with
    ``estimated_joints`` (default) its map estimates them (``hamner_opensim_estimated``:
    knees from the thigh and shank clusters, head from the trunk; 31-39 and 44-45 mm
    median errors where markers give both) and its trials give whole skeletons; without,
    ``hamner_opensim`` leaves them missing and ``build_dataset`` leaves the trials out
    (the lifter takes only frames with every joint). The RBDS subject 001's two 30-s
    treadmill trials (2.5 and 3.5 m/s, a forefoot striker, lower-body markers) are train:
    with ``estimated_joints`` their knees come from the clusters
    (``rbds_lowerbody_estimated``) and their upper body is modelled as 2D input only
    (``TrialSource.model_upper_body``): legs and feet are their 3D targets. Validation
    runners otherwise come from ``synthetic_trials``.
    """
    trials = []
    qualisys = osp.join(data_dir, 'qualisys_tindra')
    hamner = osp.join(data_dir, 'hamner2013_subject04')
    for name, split in (('Tindra1', 'train'), ('Tindra2', 'test')):
        path = osp.join(qualisys, f'{name}.txt')
        if osp.isfile(path):
            trials.append(TrialSource(name, split, 'tindra', path, 'runningpose_qualisys45',
                                      dict(rate_hz=170.0)))
    for name, split in (('run200', 'train'), ('run300', 'val')):
        path = osp.join(hamner, f'{name}_markers.trc')
        if osp.isfile(path):
            trials.append(TrialSource(f'hamner_{name}', split, 'hamner_subject04', path,
                                      'hamner_opensim_estimated' if estimated_joints
                                      else 'hamner_opensim'))
    rbds = osp.join(data_dir, 'fukuchi2017_rbds001')
    for name, file in (('run250', 'RBDS001runT25markers.txt'), ('run350', 'RBDS001runT35.c3d')):
        path = osp.join(rbds, file)
        if osp.isfile(path):
            trials.append(TrialSource(f'rbds001_{name}', 'train', 'rbds001', path,
                                      'rbds_lowerbody_estimated' if estimated_joints
                                      else 'rbds_lowerbody',
                                      model_upper_body=estimated_joints))
    return trials


def whole_skeleton_trials(trials: Sequence[TrialSource]) -> List[TrialSource]:
    """The marker trials whose map gives every runningpose19 joint (a joint its map marks
    missing leaves the trial out of lifting datasets, see ``build_dataset``)."""
    from .marker_map import MarkerMap
    return [t for t in trials if t.synthetic is None and t.marker_map and
            not MarkerMap.load(t.marker_map).missing_joints()]


def synthetic_trials(count: int, split: str, seed: int,
                     duration_s: float = 4.0) -> List[TrialSource]:
    """``count`` synthetic runners with varied anthropometrics, speeds and styles."""
    from .synthetic import sample_runner_params
    rng = np.random.default_rng(seed)
    return [TrialSource(f'synthetic_{split}_{i:03d}', split, f'synthetic_{split}_{i:03d}',
                        synthetic=sample_runner_params(rng), synthetic_duration_s=duration_s)
            for i in range(count)]
