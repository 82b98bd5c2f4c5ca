"""RunningPoseDataset: windows, padding, causal targets, cameras, the sequence flip."""
import json

import numpy as np
import pytest
from mmengine.registry import init_default_scope

import runningpose_mm  # noqa: F401
from runningpose_mm.datasets import RandomFlipSequence, RunningPoseDataset
from runningpose_mm.mocap.dataset_builder import (BuildConfig, build_dataset,
                                                  format_summary, shared_data_trials,
                                                  synthetic_trials)
from runningpose_mm.mocap.timeseries import resample_in_time
from runningpose_mm.mocap.corruption import DetectorNoiseConfig, corrupt_keypoints_2d
from runningpose_mm.skeleton import runningpose19

from conftest import SHARED_DATA, shared_file


@pytest.fixture(scope='module')
def synthetic_dataset(tmp_path_factory):
    out = tmp_path_factory.mktemp('ds')
    trials = synthetic_trials(2, 'train', seed=0, duration_s=2.0) + \
        synthetic_trials(1, 'test', seed=1, duration_s=2.0)
    summary = build_dataset(trials, str(out), BuildConfig(fps=50, cameras_per_trial=2,
                                                          min_frames_in_view=40),
                            progress=False)
    return out, summary


def test_annotation_files_hold_camera_frame_metres_and_pixels(synthetic_dataset):
    out, summary = synthetic_dataset
    assert summary['splits']['train']['sequences'] == 4
    data = np.load(out / 'train.npz')
    seqs = json.loads(str(data['sequences_json']))
    k3, k2 = data['keypoints_3d'], data['keypoints_2d']
    assert k3.shape[1:] == (19, 3) and k2.shape[1:] == (19, 2)
    # camera frame: the runner is metres in front of the camera, about 1.7 m tall
    assert np.all(k3[:, 0, 2] > 2.0)
    for i, seq in enumerate(seqs):
        rows = data['sequence_index'] == i
        cam = seq['camera']
        f, c = np.array(cam['f']).ravel(), np.array(cam['c']).ravel()
        uv = k3[rows, :, :2] / k3[rows, :, 2:] * f + c
        np.testing.assert_allclose(uv, k2[rows], atol=1e-2)  # 2D = projection of 3D
        assert (k2[rows, :, 0] >= 0).all() and (k2[rows, :, 0] < cam['w']).all()


def test_windows_are_edge_padded_and_centred(synthetic_dataset):
    out, _ = synthetic_dataset
    init_default_scope('mmpose')
    ds = RunningPoseDataset(ann_file=str(out / 'train.npz'), seq_len=9, causal=False)
    data = np.load(out / 'train.npz')
    assert len(ds) == len(data['sequence_index'])  # every frame is a target
    first = ds.get_data_info(0)
    assert first['keypoints'].shape == (9, 19, 2)
    # the first target repeats frame 0 four times on the left
    np.testing.assert_array_equal(first['img_ids'][:5], [0] * 5)
    np.testing.assert_allclose(first['lifting_target'][0], data['keypoints_3d'][0])
    assert first['camera_param']['w'] > 0 and first['camera_param']['f'].shape == (2, 1)
    # windows never cross into the next sequence
    seq = data['sequence_index']
    last_of_first = int(np.flatnonzero(seq == 0)[-1])
    info = ds.get_data_info(last_of_first)
    assert set(seq[info['img_ids']]) == {0}


def test_causal_and_unpadded_windows(synthetic_dataset):
    out, _ = synthetic_dataset
    init_default_scope('mmpose')
    causal = RunningPoseDataset(ann_file=str(out / 'train.npz'), seq_len=5, causal=True)
    info = causal.get_data_info(10)
    assert info['img_ids'] == [6, 7, 8, 9, 10] and info['target_frame'] == 10 + \
        int(np.load(out / 'train.npz')['frame_index'][0])
    unpadded = RunningPoseDataset(ann_file=str(out / 'train.npz'), seq_len=27,
                                  pad_video_seq=False)
    data = np.load(out / 'train.npz')
    lengths = np.bincount(data['sequence_index'])
    assert len(unpadded) == int(np.sum(lengths - 26))


def test_pipeline_flip_keeps_2d_the_projection_of_3d(synthetic_dataset):
    out, _ = synthetic_dataset
    init_default_scope('mmpose')
    ds = RunningPoseDataset(ann_file=str(out / 'train.npz'), seq_len=1)
    info = ds.get_data_info(30)
    flipped = RandomFlipSequence(flip_prob=1.0)(dict(info))
    cam = info['camera_param']
    f, c = cam['f'].ravel(), cam['c'].ravel()
    target = flipped['lifting_target'][0]
    uv = target[:, :2] / target[:, 2:] * f + c
    np.testing.assert_allclose(uv, flipped['keypoints'][0], atol=1e-2)
    # left and right swapped: the flipped left ankle is the mirrored right ankle
    sk = runningpose19()
    la, ra = sk.index('left_ankle'), sk.index('right_ankle')
    np.testing.assert_allclose(flipped['lifting_target'][0, la, 0],
                               -info['lifting_target'][0, ra, 0])
    # and it runs through MMPose's codec and packing
    from mmpose.datasets.transforms import GenerateTarget, PackPoseInputs
    codec = dict(type='VideoPoseLifting', num_keypoints=19, zero_center=True, root_index=0)
    packed = PackPoseInputs(meta_keys=('id', 'target_root'))(
        GenerateTarget(encoder=codec)(flipped))
    assert packed['inputs'].shape == (38, 1)


def test_missing_annotation_file_points_to_the_builder(tmp_path):
    with pytest.raises(FileNotFoundError, match='build_runningpose.py'):
        RunningPoseDataset(ann_file=str(tmp_path / 'nope.npz'))


def test_resampling_is_exact_for_linear_motion():
    t = np.arange(171) / 170.0
    joints = np.zeros((171, 19, 3))
    joints[..., 0] = 3.0 * t[:, None]
    out = resample_in_time(joints, 170.0, 50.0)
    assert out.shape[0] == 51
    np.testing.assert_allclose(out[:, 0, 0], 3.0 * np.arange(51) / 50.0, atol=1e-12)


def test_detector_noise_is_seeded_and_sized(rng):
    kp = np.tile(np.linspace([500, 200], [520, 800], 19)[None], (200, 1, 1))
    vis = np.ones((200, 19), bool)
    a, sa = corrupt_keypoints_2d(kp, vis, 50, np.random.default_rng(3))
    b, _ = corrupt_keypoints_2d(kp, vis, 50, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)
    err = np.linalg.norm(a - kp, axis=-1)
    assert 2 < np.median(err) < 25  # ~1 % of a 600 px person
    assert (sa < 0.3).any() and (sa > 0.8).mean() > 0.8  # some dropouts, mostly confident
    clean, _ = corrupt_keypoints_2d(kp, vis, 50, rng, DetectorNoiseConfig(
        jitter_frac=0, drift_frac=0, missing_rate=0, swap_rate=0, offset_frac=0,
        hip_offset_frac=0))
    np.testing.assert_allclose(clean, kp)
    # systematic offsets: constant over the sequence, larger at the hips
    offsets, _ = corrupt_keypoints_2d(kp, vis, 50, np.random.default_rng(5), DetectorNoiseConfig(
        jitter_frac=0, drift_frac=0, missing_rate=0, swap_rate=0))
    shift = offsets - kp
    assert np.ptp(shift, axis=0).max() < 1e-9
    sizes = []
    for seed in range(40):
        o, _ = corrupt_keypoints_2d(kp, vis, 50, np.random.default_rng(seed), DetectorNoiseConfig(
            jitter_frac=0, drift_frac=0, missing_rate=0, swap_rate=0))
        sizes.append(np.linalg.norm(o[0] - kp[0], axis=-1))
    sizes = np.mean(sizes, axis=0)
    hips = [runningpose19().index('left_hip'), runningpose19().index('right_hip')]
    assert sizes[hips].mean() > 1.8 * np.delete(sizes, hips).mean()


def test_far_side_limbs_get_a_constant_length_error(rng):
    """Far-side limb segments (their end farther than its mirror joint) get a 2D length
    error constant over the sequence, the rest of the chain moving with them; near-side
    segments and frames where the limb is near keep their lengths."""
    sk = runningpose19()
    num_frames = 100
    kp = rng.uniform(200, 800, (num_frames, 19, 2))
    depth = np.full((num_frames, 19), 3.0)
    far_frames = slice(0, 60)
    for joint in ('right_elbow', 'right_wrist', 'right_knee', 'right_ankle'):
        depth[far_frames, sk.index(joint)] = 3.3  # the right arm and knee/ankle hidden
    config = DetectorNoiseConfig(jitter_frac=0, drift_frac=0, missing_rate=0, swap_rate=0,
                                 offset_frac=0, hip_offset_frac=0, far_side_length_frac=0.15)
    vis = np.ones((num_frames, 19), bool)
    out, scores = corrupt_keypoints_2d(kp, vis, 50, np.random.default_rng(1), config,
                                       depth=depth)

    def length(x, a, b):
        return np.linalg.norm(x[:, sk.index(b)] - x[:, sk.index(a)], axis=-1)

    for a, b in (('right_shoulder', 'right_elbow'), ('right_elbow', 'right_wrist'),
                 ('right_hip', 'right_knee'), ('right_knee', 'right_ankle')):
        ratio = length(out, a, b) / length(kp, a, b)
        assert np.ptp(ratio[far_frames]) < 1e-9 and abs(ratio[0] - 1) > 1e-3, (a, b)
        np.testing.assert_allclose(ratio[60:], 1.0)  # near again: its own length
    # the foot follows the moved ankle with its own (near-side) length and direction
    np.testing.assert_allclose(out[:, sk.index('right_forefoot')] - out[:, sk.index(
        'right_ankle')], kp[:, sk.index('right_forefoot')] - kp[:, sk.index('right_ankle')])
    left = [sk.index(n) for n in sk.names if n.startswith('left_')]
    np.testing.assert_allclose(out[:, left], kp[:, left])
    assert (scores[far_frames, sk.index('right_wrist')] < 0.3).all()
    # off: positions untouched
    plain, _ = corrupt_keypoints_2d(kp, vis, 50, np.random.default_rng(1), DetectorNoiseConfig(
        **{**vars(config), 'far_side_length_frac': 0.0}), depth=depth)
    np.testing.assert_allclose(plain, kp)


def test_a_hidden_far_arm_can_be_drawn_as_a_copy_of_the_near_arm(rng):
    """As MediaPipe guesses a hidden arm: the near arm's 2D segments hung from the far
    shoulder, only where the far elbow or wrist is hidden; the rest untouched. A
    synthetic side-view runner's wrists then swing together instead of in opposition."""
    from runningpose_mm.mocap import RunnerParams, synthesize_run
    from runningpose_mm.mocap.cameras import Camera, look_at
    sk = runningpose19()
    i = sk.index
    joints = synthesize_run(RunnerParams(treadmill=True), 2.0, 100.0).joints_m
    position, target = np.array([0.0, -4.0, 1.0]), np.array([0.0, 0.0, 1.0])
    camera = Camera('side', look_at(position, target), position, (1000.0, 1000.0),
                    (960.0, 540.0), 1920, 1080)
    cam3d = camera.world_to_camera(joints)
    if np.median(cam3d[:, i('left_elbow'), 2] - cam3d[:, i('right_elbow'), 2]) > 0:
        camera = Camera('side', look_at(-position, target), -position, (1000.0, 1000.0),
                        (960.0, 540.0), 1920, 1080)  # film the runner's left side
        cam3d = camera.world_to_camera(joints)
    kp = camera.project(cam3d)
    vis = np.ones(kp.shape[:2], bool)
    quiet = dict(jitter_frac=0, drift_frac=0, missing_rate=0, swap_rate=0, offset_frac=0,
                 hip_offset_frac=0)
    out, scores = corrupt_keypoints_2d(kp, vis, 100, np.random.default_rng(0),
                                       DetectorNoiseConfig(far_arm_copy_prob=1.0, **quiet),
                                       depth=cam3d[..., 2])
    depth = cam3d[..., 2]
    far = depth[:, i('right_elbow')] > depth[:, i('left_elbow')] + 0.08
    assert far.mean() > 0.9  # the camera on the runner's left: the right arm hidden
    np.testing.assert_allclose(out[far, i('right_elbow')] - out[far, i('right_shoulder')],
                               kp[far, i('left_elbow')] - kp[far, i('left_shoulder')])
    np.testing.assert_allclose(out[far, i('right_wrist')] - out[far, i('right_elbow')],
                               kp[far, i('left_wrist')] - kp[far, i('left_elbow')])
    untouched = [j for j in range(19) if j not in (i('right_elbow'), i('right_wrist'))]
    np.testing.assert_allclose(out[:, untouched], kp[:, untouched])
    np.testing.assert_allclose(out[~far], kp[~far])
    assert (scores[far, i('right_wrist')] < 0.3).all()

    def swing(x, side):
        return x[:, i(f'{side}_wrist'), 0] - x[:, i(f'{side}_shoulder'), 0]

    assert np.corrcoef(swing(kp, 'left'), swing(kp, 'right'))[0, 1] < -0.5
    assert np.corrcoef(swing(out, 'left'), swing(out, 'right'))[0, 1] > 0.99
    # off (the default): the same draws give the clean arm
    plain, _ = corrupt_keypoints_2d(kp, vis, 100, np.random.default_rng(0),
                                    DetectorNoiseConfig(**quiet), depth=depth)
    np.testing.assert_allclose(plain, kp)


def test_building_from_the_shared_real_trials(tmp_path):
    """Trials whose marker set lacks joints are left out: the lifter never sees a missing
    input (inference lifts only frames with every keypoint), and a dataset that would
    feed it one is refused."""
    shared_file('qualisys_tindra', 'Tindra1.txt')
    shared_file('hamner2013_subject04', 'run200_markers.trc')
    shared_file('fukuchi2017_rbds001', 'RBDS001runT35.c3d')
    summary = build_dataset(shared_data_trials(SHARED_DATA, estimated_joints=False),
                            str(tmp_path), BuildConfig(fps=50, cameras_per_trial=3),
                            progress=False)
    trials = summary['trials']
    assert trials['Tindra1']['frames_mocap'] == 685 and trials['Tindra1']['frames'] == 202
    assert trials['Tindra2']['split'] == 'test' and trials['Tindra1']['missing_joints'] == []
    assert summary['skipped_incomplete_2d'] == ['hamner_run200', 'hamner_run300',
                                                'rbds001_run250', 'rbds001_run350']
    assert trials['Tindra1']['bone_length_cv']['left_knee-left_ankle'] < 0.06
    text = format_summary(summary)
    assert 'Tindra2' in text and 'left out' in text and 'hamner_run200' in text
    init_default_scope('mmpose')
    ds = RunningPoseDataset(ann_file=str(tmp_path / 'train.npz'), seq_len=27)
    assert (ds.ann_data['keypoints_3d_visible'] > 0).all()
    assert np.isfinite(ds.ann_data['keypoints_2d']).all()

    # with the joints its markers lack estimated (the default), Hamner gives whole
    # skeletons and is in
    estimated = build_dataset(shared_data_trials(SHARED_DATA), str(tmp_path / 'estimated'),
                              BuildConfig(fps=50, cameras_per_trial=1), progress=False)
    assert not estimated['skipped_incomplete_2d']
    assert estimated['trials']['hamner_run200']['missing_joints'] == []
    assert estimated['trials']['hamner_run300']['split'] == 'val'
    # and RBDS's legs, knees from its clusters, its upper body modelled as input only
    rbds = estimated['trials']['rbds001_run250']
    assert rbds['frames'] == 1500 and rbds['split'] == 'train'
    assert 'left_knee' not in rbds['missing_joints'] and len(rbds['modelled_joints']) == 10
    assert rbds['bone_length_cv']['left_hip-left_knee'] < 0.02

    # a long marker gap in one joint: frames without it are not used
    trial = shared_data_trials(SHARED_DATA)[0]
    joints = trial.load_joints(10)
    holed = joints.joints_m.copy()
    holed[300:420, runningpose19().index('left_wrist')] = np.nan  # 0.7 s at 170 Hz
    trial.load_joints = lambda max_gap: type(joints)(**{**vars(joints), 'joints_m': holed})
    gap = build_dataset([trial], str(tmp_path / 'gap'), BuildConfig(
        fps=50, cameras_per_trial=2, min_frames_in_view=20), progress=False)
    assert max(gap['trials']['Tindra1']['frames_in_view']) <= 202 - 120 * 50 // 170
    gap_ds = np.load(tmp_path / 'gap' / 'train.npz')
    assert (gap_ds['keypoints_3d_visible'] > 0).all()

    # an annotation file with missing 2D inputs (as the builder once wrote them: 2D zeros,
    # score 0)
    arrays = dict(np.load(tmp_path / 'train.npz'))
    arrays['keypoints_3d_visible'][5:9, runningpose19().index('left_knee')] = 0
    arrays['keypoints_2d'][5:9, runningpose19().index('left_knee')] = 0
    arrays['keypoints_2d_visible'][5:9, runningpose19().index('left_knee')] = 0
    np.savez(tmp_path / 'old.npz', **arrays)
    with pytest.raises(ValueError, match=r'old.npz: 4 rows lack joints \(left_knee\); the '
                                         'lifter takes only frames with every joint'):
        RunningPoseDataset(ann_file=str(tmp_path / 'old.npz'), seq_len=27)


def test_each_view_of_a_real_trial_films_its_own_body(tmp_path):
    """``body_scale_sd``: every camera view of a marker trial in the train split gets the
    athlete's motion on a body with other segment lengths (mirrored segments alike), the
    2D the projection of that body; synthetic runners and the views' cameras and noise
    stay those of the unscaled dataset."""
    shared_file('qualisys_tindra', 'Tindra1.txt')
    sk = runningpose19()
    trials = [t for t in shared_data_trials(SHARED_DATA) if t.name == 'Tindra1'] + \
        synthetic_trials(1, 'train', seed=0, duration_s=2.0)
    built = {}
    for tag, sd in (('own', (0.0, 0.0)), ('scaled', (0.08, 0.05))):
        build_dataset(trials, str(tmp_path / tag), BuildConfig(
            fps=50, cameras_per_trial=3, noise=DetectorNoiseConfig(), noise_fraction=0.5,
            body_scale_sd=sd), progress=False)
        built[tag] = np.load(tmp_path / tag / 'train.npz')
    own, scaled = built['own'], built['scaled']
    seqs = json.loads(str(own['sequences_json']))
    assert json.loads(str(scaled['sequences_json'])) == seqs  # the same cameras
    synthetic = [i for i, s in enumerate(seqs) if s['trial'] != 'Tindra1']
    for name in ('keypoints_2d', 'keypoints_3d'):
        assert np.array_equal(*(b[name][np.isin(b['sequence_index'], synthetic)]
                                for b in (own, scaled)))
    ratios = []
    for seq in range(len(seqs)):
        if seq in synthetic:
            continue
        rows_own = own['sequence_index'] == seq
        rows_scaled = scaled['sequence_index'] == seq
        frames = np.intersect1d(own['frame_index'][rows_own], scaled['frame_index'][rows_scaled])
        assert len(frames) > 40
        a = own['keypoints_3d'][rows_own][np.isin(own['frame_index'][rows_own], frames)]
        b = scaled['keypoints_3d'][rows_scaled][np.isin(scaled['frame_index'][rows_scaled],
                                                        frames)]
        la, lb = sk.bone_lengths(a), sk.bone_lengths(b)
        ratio = {k: np.median(lb[k] / la[k]) for k in la}
        # a segment keeps one factor over the whole view, and its mirror image the same
        for k in la:
            assert np.allclose(lb[k] / la[k], ratio[k], atol=1e-4), k
        for p, c in sk.links:
            mirror = f'{sk.names[sk.flip_indices[p]]}-{sk.names[sk.flip_indices[c]]}'
            assert ratio[f'{sk.names[p]}-{sk.names[c]}'] == pytest.approx(ratio[mirror],
                                                                          abs=1e-4)
        # the 2D is the projection of the new body
        cam = seqs[seq]['camera']
        f, c = np.array(cam['f']).ravel(), np.array(cam['c']).ravel()
        proj = b[..., :2] / b[..., 2:] * f + c
        twod = scaled['keypoints_2d'][rows_scaled][np.isin(scaled['frame_index'][rows_scaled],
                                                           frames)]
        clean = (scaled['keypoints_2d_visible'][rows_scaled] == 1).all()
        if clean:
            assert np.abs(twod - proj).max() < 0.5
        ratios.append(ratio['left_knee-left_ankle'])
    # bodies differ from view to view (SD 8 % x 5 %: factors spread by several per cent)
    assert np.std(ratios) > 0.03 and 0.85 < np.mean(ratios) < 1.15
    with pytest.raises(ValueError, match='body_scale_sd must be two standard deviations'):
        build_dataset(trials, str(tmp_path / 'bad'), BuildConfig(body_scale_sd=(0.6, 0.0)),
                      progress=False)


def test_a_lower_body_trial_teaches_legs_with_a_modelled_upper_body(tmp_path):
    """A marker set without an upper body (RBDS): with ``model_upper_body`` the trial is
    in, its 2D inputs whole (the modelled trunk, head and arms, as detectors would see a
    runner), its 3D targets the measured joints only: the loss and the metrics skip the
    modelled ones. Without it, it is left out as before."""
    from runningpose_mm.mocap import RunnerParams, synthesize_run
    from runningpose_mm.mocap.dataset_builder import TrialSource
    from runningpose_mm.mocap.marker_map import JointData
    from runningpose_mm.mocap.synthetic import UPPER_BODY
    sk = runningpose19()
    upper = [sk.index(n) for n in UPPER_BODY]
    run = synthesize_run(RunnerParams(treadmill=True), duration_s=2.0, rate_hz=100.0)
    legs = run.joints_m.copy()
    legs[:, upper] = np.nan
    data = JointData(legs, np.isfinite(legs).all(axis=-1), 100.0, 'lower-body markers',
                     {n: 'lower-body marker set' for n in UPPER_BODY})
    built = {}
    for modelled in (False, True):
        trial = TrialSource('lower', 'train', 'runner', 'markers.txt', 'rbds_lowerbody',
                            model_upper_body=modelled)
        trial.load_joints = lambda max_gap: data
        out = tmp_path / str(modelled)
        built[modelled] = build_dataset(
            [trial] + synthetic_trials(1, 'train', seed=0, duration_s=2.0), str(out),
            BuildConfig(fps=50, cameras_per_trial=2, min_frames_in_view=40,
                        noise=DetectorNoiseConfig(), noise_fraction=0.5), progress=False)
    assert built[False]['skipped_incomplete_2d'] == ['lower']
    summary = built[True]
    assert summary['trials']['lower']['modelled_joints'] == list(UPPER_BODY)
    assert 'upper body modelled' in format_summary(summary)
    arrays = np.load(tmp_path / 'True' / 'train.npz')
    seqs = json.loads(str(arrays['sequences_json']))
    rows = np.isin(arrays['sequence_index'],
                   [i for i, s in enumerate(seqs) if s['trial'] == 'lower'])
    assert rows.sum() == 2 * 100  # 2 views of 2 s at 50 fps (a treadmill: always in view)
    v3, v2 = arrays['keypoints_3d_visible'], arrays['keypoints_2d_visible']
    assert (v3[rows][:, upper] == 0).all() and (arrays['keypoints_3d'][rows][:, upper] == 0).all()
    lower = [j for j in range(19) if j not in upper]
    assert (v3[rows][:, lower] == 1).all() and (v3[~rows] == 1).all()
    assert (v2 > 0).all()  # every 2D input is there, the modelled ones too
    init_default_scope('mmpose')
    ds = RunningPoseDataset(ann_file=str(tmp_path / 'True' / 'train.npz'), seq_len=27,
                            pipeline=[dict(type='GenerateTarget', encoder=dict(
                                type='VideoPoseLifting', num_keypoints=19, zero_center=True,
                                root_index=0, remove_root=False))])
    weights = {tuple(ds[i]['lifting_target_weight'].reshape(-1) > 0)
               for i in range(len(ds))}
    assert weights == {tuple(j not in upper for j in range(19)), (True,) * 19}
