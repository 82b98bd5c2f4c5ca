"""Whole-clip lifting of a runner's 2D track: track choice, gaps, frame rates, and the
same numbers as the evaluation loop."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

import runningpose_mm  # noqa: F401
from runningpose_mm.apis.lifting import WholeSequenceLifter
from runningpose_mm.apis.runner import build_runner, load_config
from runningpose_mm.apis.video_lifting import fill_2d_gaps, lift_clip, select_main_track
from runningpose_mm.datasets import load_annotation_file
from runningpose_mm.evaluation import RunningPoseMetric
from runningpose_mm.mocap import sample_virtual_cameras, synthesize_run
from runningpose_mm.mocap.dataset_builder import (BuildConfig, build_dataset, shared_data_trials,
                                                  synthetic_trials)

from conftest import REPO, SHARED_DATA

CONFIG = osp.join(REPO, 'configs', 'runningpose_tcn_27frm.py')


def _person(x0, t, score):
    box = np.array([x0 + 5 * t, 100, x0 + 5 * t + 80, 300], float)
    return dict(bbox=box, keypoint_scores=np.full(19, score))


def test_main_runner_is_the_longest_confident_track():
    frames = []
    for t in range(60):
        people = [_person(0, t, 0.8)]                      # the runner, every frame
        if t < 25:
            people.insert(0, _person(600, t, 0.95))         # a bystander, leaves
        if t % 7 == 0:
            people.append(_person(1200, 0, 0.99))          # flicker
        frames.append(people)
    frames[30] = []  # a missed detection
    chosen = select_main_track(frames)
    assert chosen[30] == -1
    for t in range(60):
        if t != 30:
            assert frames[t][chosen[t]]['bbox'][0] == 5 * t  # always the runner


def test_short_dropouts_filled_long_ones_kept():
    kp = np.tile(np.arange(40, dtype=float)[:, None, None], (1, 19, 2))
    scores = np.full((40, 19), 0.9)
    scores[5:8, 3] = 0.05      # 3-frame dropout of one joint: filled
    kp[20:35, :] = np.nan      # 15-frame loss of the runner: kept
    out, out_scores, valid = fill_2d_gaps(kp, scores, max_gap_frames=5)
    np.testing.assert_allclose(out[5:8, 3, 0], [5, 6, 7])
    assert (out_scores[5:8, 3] < 0.5).all()
    assert not valid[20:35].any() and valid[:20].all() and valid[35:].all()


@pytest.fixture(scope='module')
def random_lifter_checkpoint(tmp_path_factory):
    init_default_scope('mmpose')
    from mmengine.runner import save_checkpoint
    from mmpose.registry import MODELS
    cfg = load_config(CONFIG, ['model.backbone.stem_channels=64', 'model.head.in_channels=64'])
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    path = str(tmp_path_factory.mktemp('ckpt') / 'random.pth')
    save_checkpoint(dict(state_dict=model.state_dict(), meta=dict()), path)
    return cfg, path


def test_clip_lifting_matches_the_evaluation_loop(random_lifter_checkpoint, tmp_path):
    """The video path (lift_clip) and the test loop score the same predictions."""
    cfg, ckpt = random_lifter_checkpoint
    # projected real mocap when the shared data is here, else the synthetic runner
    real = [t for t in shared_data_trials(SHARED_DATA) if t.name == 'Tindra2']
    test_trials = real or synthetic_trials(1, 'test', 3, 2.0)
    build_dataset(test_trials + synthetic_trials(1, 'train', 4, 1.0) +
                  synthetic_trials(1, 'val', 5, 1.0), str(tmp_path),
                  BuildConfig(cameras_per_trial=2, min_frames_in_view=40), progress=False)
    options = [f'{s}_dataloader.dataset.data_root={tmp_path}' for s in ('train', 'val', 'test')]
    options += ['model.backbone.stem_channels=64', 'model.head.in_channels=64']
    loop_metrics = build_runner(CONFIG, work_dir=str(tmp_path / 'w'), cfg_options=options,
                                load_from=ckpt).test()
    lifter = WholeSequenceLifter(cfg.model, torch.load(ckpt, weights_only=False)['state_dict'])
    arrays, sequences = load_annotation_file(str(tmp_path / 'test.npz'))
    metric = RunningPoseMetric()
    for i, seq in enumerate(sequences):
        rows = np.flatnonzero(arrays['sequence_index'] == i)
        cam = seq['camera']
        lifted = lift_clip(lifter, arrays['keypoints_2d'][rows], np.ones((len(rows), 19)),
                           seq['fps'], (cam['w'], cam['h']), model_fps=seq['fps'],
                           equalise_bones=False)  # the lifter as the loop scores it
        assert lifted.valid.all()
        gt = arrays['keypoints_3d'][rows]
        metric.process([], [dict(pred_instances=dict(keypoints=(p + g[0])[None]),
                                 gt_instances=dict(lifting_target=g[None],
                                                   lifting_target_visible=np.ones((1, 19))),
                                 sequence_name=seq['name'], target_frame=int(f))
                            for p, g, f in zip(lifted.keypoints_3d, gt,
                                               arrays['frame_index'][rows])])
    ours = metric.compute_metrics(metric.results)
    for key in ('MPJPE', 'P-MPJPE', 'MPJVE'):
        np.testing.assert_allclose(ours[key], loop_metrics[key], rtol=1e-4)


def test_video_frame_rate_is_resampled_to_the_model_rate(random_lifter_checkpoint):
    cfg, ckpt = random_lifter_checkpoint
    lifter = WholeSequenceLifter(cfg.model, torch.load(ckpt, weights_only=False)['state_dict'])
    run = synthesize_run(duration_s=2.0, rate_hz=100)
    cam = sample_virtual_cameras(run.joints_m, 1, np.random.default_rng(0))[0]
    kp100 = cam.project_world(run.joints_m)
    # (bone lengths as lifted: their clip medians would differ between the two grids)
    at100 = lift_clip(lifter, kp100, np.ones(kp100.shape[:2]), 100, (cam.w, cam.h), 50,
                      equalise_bones=False)
    at50 = lift_clip(lifter, kp100[::2], np.ones((100, 19)), 50, (cam.w, cam.h), 50,
                     equalise_bones=False)
    assert at100.num_frames == 200 and at100.valid[:198].all()
    # the 100 fps clip is lifted from its 50 fps resampling: same poses on shared frames
    np.testing.assert_allclose(at100.keypoints_3d[::2][:99], at50.keypoints_3d[:99], atol=1e-5)


def test_lifted_left_and_right_bones_get_one_length_from_the_seen_side(
        random_lifter_checkpoint):
    """lift_clip equalises each left/right pair of bones (meta: the factors): the right
    arm, scored as a guess in every frame, takes the seen left arm's length; the legs,
    both seen, meet at the mean of their lengths as lifted."""
    from runningpose_mm.skeleton import runningpose19
    sk = runningpose19()
    cfg, ckpt = random_lifter_checkpoint
    lifter = WholeSequenceLifter(cfg.model, torch.load(ckpt, weights_only=False)['state_dict'])
    run = synthesize_run(duration_s=2.0, rate_hz=50)
    cam = sample_virtual_cameras(run.joints_m, 1, np.random.default_rng(0))[0]
    kp = cam.project_world(run.joints_m)
    scores = np.ones(kp.shape[:2])
    scores[:, [sk.index('right_elbow'), sk.index('right_wrist')]] = 0.05
    raw = lift_clip(lifter, kp, scores, 50, (cam.w, cam.h), 50, equalise_bones=False)
    lifted = lift_clip(lifter, kp, scores, 50, (cam.w, cam.h), 50)
    assert 'bone_length_factors' not in raw.meta
    before, after = (sk.bone_lengths(x.keypoints_3d) for x in (raw, lifted))
    for bone in ('shoulder-elbow', 'elbow-wrist'):
        left, right = f'left_{bone.replace("-", "-left_")}', f'right_{bone.replace("-", "-right_")}'
        assert np.median(after[right]) == pytest.approx(np.median(before[left]), rel=0.01)
        assert np.median(after[left]) == pytest.approx(np.median(before[left]), rel=0.01)
        assert lifted.meta['bone_length_factors'][right] == pytest.approx(
            np.median(before[left]) / np.median(before[right]), rel=0.01)
    mean = np.mean([np.median(before[f'{s}_hip-{s}_knee']) for s in ('left', 'right')])
    for side in ('left', 'right'):
        assert np.median(after[f'{side}_hip-{side}_knee']) == pytest.approx(mean, rel=1e-6)


def test_clips_too_short_or_of_the_wrong_skeleton_are_refused(random_lifter_checkpoint):
    cfg, ckpt = random_lifter_checkpoint
    lifter = WholeSequenceLifter(cfg.model)
    with pytest.raises(ValueError, match='1 frame'):
        lift_clip(lifter, np.zeros((1, 19, 2)), np.ones((1, 19)), 30, (640, 480), 50)
    with pytest.raises(ValueError, match=r'\(T, 19, 2\)'):
        lift_clip(lifter, np.zeros((10, 17, 2)), np.ones((10, 17)), 30, (640, 480), 50)
    # three frames: lifted (edge padding gives the context), all valid
    out = lift_clip(lifter, np.random.default_rng(0).uniform(100, 500, (3, 19, 2)),
                    np.ones((3, 19)), 30, (640, 480), 30, min_segment_s=0)
    assert out.num_frames == 3 and out.valid.all()


def test_flip_test_lifts_a_mirror_image_as_the_mirror_of_the_lift(random_lifter_checkpoint):
    """With flip_test the lifter averages the direct and the mirrored pass, so a mirrored
    clip (x about the image centre, left/right swapped) gives exactly the mirrored 3D
    (camera X negated, left/right swapped); a single pass of random weights does not."""
    from runningpose_mm.skeleton import runningpose19
    cfg, ckpt = random_lifter_checkpoint
    state = torch.load(ckpt, weights_only=False)['state_dict']
    flip = list(runningpose19().flip_indices)
    kp = np.random.default_rng(0).uniform(100, 700, (40, 19, 2))
    mirrored = kp[:, flip].copy()
    mirrored[..., 0] = 800 - mirrored[..., 0]  # about the centre of an 800 x 600 image

    def mirror_3d(pose):
        return pose[:, flip] * np.array([-1.0, 1.0, 1.0])

    both = WholeSequenceLifter(cfg.model, state, flip_test=True)
    np.testing.assert_allclose(both(mirrored, (800, 600)), mirror_3d(both(kp, (800, 600))),
                               atol=1e-5)
    single = WholeSequenceLifter(cfg.model, state)
    assert np.abs(single(mirrored, (800, 600)) - mirror_3d(single(kp, (800, 600)))).max() > 1e-3
    # the average of the two passes
    np.testing.assert_allclose(both(kp, (800, 600)), 0.5 * (
        single(kp, (800, 600)) + mirror_3d(single(mirrored, (800, 600)))), atol=1e-5)


def test_causal_lifting_uses_only_the_past_and_online_matches_the_clip_pass():
    from runningpose_mm.apis.lifting import OnlineLifter
    init_default_scope('mmpose')
    cfg = load_config(osp.join(REPO, 'configs', 'runningpose_tcn_causal.py'),
                      ['model.backbone.stem_channels=32', 'model.head.in_channels=32'])
    torch.manual_seed(0)
    lifter = WholeSequenceLifter(cfg.model)
    assert lifter.causal
    kp = np.random.default_rng(0).uniform(100, 900, (120, 19, 2))
    whole = lifter(kp, (1000, 1000))
    changed = kp.copy()
    changed[80:] += 50  # the future changes...
    np.testing.assert_allclose(lifter(changed, (1000, 1000))[:80], whole[:80], atol=1e-5)
    online = OnlineLifter(lifter, (1000, 1000))
    frames = np.stack([online(k) for k in kp])
    np.testing.assert_allclose(frames, whole, atol=1e-4)
    with pytest.raises(ValueError, match='causal'):
        OnlineLifter(WholeSequenceLifter(load_config(CONFIG).model), (1000, 1000))


def test_left_right_swaps_are_undone_and_clean_clips_left_alone(rng):
    """Detector-like swaps of the legs (1-4 frames, several per clip) are found exactly;
    a clean side-view clip, where the legs cross every step, is not touched."""
    from runningpose_mm.apis.video_lifting import fix_left_right_swaps
    from runningpose_mm.mocap import RunnerParams, sample_virtual_cameras, synthesize_run
    from runningpose_mm.skeleton import runningpose19
    sk = runningpose19()
    left = [sk.index(f'left_{j}') for j in ('knee', 'ankle', 'forefoot')]
    right = [sk.index(f'right_{j}') for j in ('knee', 'ankle', 'forefoot')]
    found = injected = 0
    for _ in range(5):
        run = synthesize_run(RunnerParams(treadmill=True), 4.0, 30)
        cam = sample_virtual_cameras(run.joints_m, 1, rng)[0]
        kp = cam.project_world(run.joints_m)
        fixed, swapped = fix_left_right_swaps(kp)
        assert not swapped.any()
        np.testing.assert_array_equal(fixed, kp)
        truth = np.zeros(len(kp), bool)
        for start in rng.choice(np.arange(5, len(kp) - 10, 12), 4, replace=False):
            truth[start:start + rng.integers(1, 5)] = True
        bad = kp.copy()
        rows = np.flatnonzero(truth)
        bad[np.ix_(rows, left + right)] = kp[np.ix_(rows, right + left)]
        fixed, swapped = fix_left_right_swaps(bad)
        np.testing.assert_array_equal(swapped[:, 0], truth)
        np.testing.assert_allclose(fixed, kp)
        found += swapped[:, 0].sum()
        injected += truth.sum()
    assert found == injected > 20
    # a long stretch is not undone when a limit is given (detector swaps are brief)
    long = np.zeros(len(kp), bool)
    long[40:55] = True
    bad = kp.copy()
    rows = np.flatnonzero(long)
    bad[np.ix_(rows, left + right)] = kp[np.ix_(rows, right + left)]
    _, swapped = fix_left_right_swaps(bad, max_swap_frames=8)
    assert not swapped[:, 0].any()
    _, swapped = fix_left_right_swaps(bad)
    np.testing.assert_array_equal(swapped[:, 0], long)


def test_portrait_and_landscape_views_of_one_runner_give_the_same_input():
    """The 2D normalisation divides by the longer image side: the same runner in a
    portrait frame and in a landscape frame (same pixels around the centre) gives the
    lifter identical inputs, and the training samples are normalised the same way."""
    from runningpose_mm.apis.lifting import normalize_keypoints_2d
    rng = np.random.default_rng(0)
    around_centre = rng.normal(0, 200, (5, 19, 2))
    portrait = normalize_keypoints_2d(around_centre + [360, 640], (720, 1280))
    landscape = normalize_keypoints_2d(around_centre + [640, 360], (1280, 720))
    np.testing.assert_allclose(portrait, landscape, atol=1e-6)
    # for landscape images it is MMPose's (x - w/2) / (w/2)
    np.testing.assert_allclose(landscape, (around_centre / 640).astype(np.float32), atol=1e-6)


def test_one_gap_filler_and_one_resampler_for_joints_and_keypoints():
    """Markers get a cubic fill, detector keypoints a straight line between the gap's
    neighbours, through the same filler; 2D keypoints and 3D joints resample alike."""
    from runningpose_mm.mocap.timeseries import fill_short_gaps, resample_in_time
    t = np.arange(30, dtype=float)
    curve = np.stack([t**2, t], axis=-1)[:, None]       # (30, 1, 2), curved in x
    holed = curve.copy()
    holed[10:13] = np.nan
    cubic = fill_short_gaps(holed, 5)
    linear = fill_short_gaps(holed, 5, method='linear')
    np.testing.assert_allclose(cubic[10:13, 0, 0], t[10:13]**2, atol=1e-6)  # exact on t^2
    np.testing.assert_allclose(linear[10:13, 0, 0], np.interp(t[10:13], [9, 13], [81, 169]))
    with pytest.raises(ValueError, match="'cubic' or 'linear'"):
        fill_short_gaps(holed, 5, method='spline')
    kp = np.random.default_rng(0).normal(size=(31, 19, 2))
    out = resample_in_time(kp, 30.0, 50.0)
    new_t = np.arange(out.shape[0]) / 50.0
    assert out.shape == (51, 19, 2)
    np.testing.assert_allclose(out[:, 4, 1], np.interp(new_t, np.arange(31) / 30.0, kp[:, 4, 1]))
