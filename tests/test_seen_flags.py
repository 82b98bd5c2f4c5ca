"""Lifters that take a "seen" flag per keypoint (models.codecs): the flag is the score
above the threshold, training (MMPose's codec) and inference (WholeSequenceLifter,
lift_clip, OnlineLifter, flip test) build the same input, and a checkpoint is refused
by a config with the other input."""
import glob
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope

import runningpose_mm  # noqa: F401
from runningpose_mm.apis.lifting import OnlineLifter, WholeSequenceLifter
from runningpose_mm.apis.runner import build_runner, load_config
from runningpose_mm.apis.video_lifting import lift_clip
from runningpose_mm.mocap.corruption import DetectorNoiseConfig
from runningpose_mm.mocap.dataset_builder import BuildConfig, build_dataset, synthetic_trials
from runningpose_mm.models import InputChannelMismatchError, LifterMetaError
from runningpose_mm.skeleton import runningpose19

from conftest import REPO

SEEN = osp.join(REPO, 'configs', 'runningpose_tcn_seen.py')
SMALL = ['model.backbone.stem_channels=32', 'model.head.in_channels=32']


def small_lifter(config=SEEN, extra=(), seed=0):
    init_default_scope('mmpose')
    cfg = load_config(config, SMALL + list(extra))
    torch.manual_seed(seed)
    return WholeSequenceLifter(cfg.model), cfg


def test_the_codec_appends_the_seen_flag_after_each_keypoints_position():
    from mmpose.codecs import VideoPoseLifting
    from mmpose.registry import KEYPOINT_CODECS
    cfg = load_config(SEEN)
    codec = KEYPOINT_CODECS.build(cfg.codec)
    rng = np.random.default_rng(0)
    kp = rng.uniform(0, 400, (27, 19, 2)).astype(np.float32)
    scores = rng.uniform(0, 1, (27, 19))
    target = rng.normal(0, 0.3, (1, 19, 3))
    camera = dict(w=400.0, h=400.0)
    seen = codec.encode(kp, scores, target, np.ones((1, 19)), camera)['keypoint_labels']
    plain = VideoPoseLifting(num_keypoints=19, zero_center=True, root_index=0).encode(
        kp, scores, target, np.ones((1, 19)), camera)['keypoint_labels']
    assert seen.shape == (57, 27) and plain.shape == (38, 27)
    per_joint = seen.reshape(19, 3, 27)
    np.testing.assert_array_equal(per_joint[:, :2].reshape(38, 27), plain)
    np.testing.assert_array_equal(per_joint[:, 2], (scores > 0.3).T.astype(np.float32))


def test_flags_change_the_lift_and_no_scores_means_every_keypoint_seen():
    lifter, _ = small_lifter()
    assert lifter.confidence_threshold == 0.3
    x = np.random.default_rng(1).normal(0, 0.2, (60, 19, 2)).astype(np.float32)
    seen = lifter.lift_normalized(x, scores=np.ones((60, 19)))
    np.testing.assert_array_equal(lifter.lift_normalized(x), seen)
    far_arm = np.ones((60, 19))
    far_arm[:, [15, 16]] = 0.05  # right elbow and wrist guessed
    assert np.abs(lifter.lift_normalized(x, scores=far_arm) - seen).max() > 1e-4
    # a score at the threshold is a guess, just above it is seen
    np.testing.assert_array_equal(lifter.lift_normalized(x, scores=np.where(far_arm < 1, 0.3, 1)),
                                  lifter.lift_normalized(x, scores=far_arm))
    np.testing.assert_array_equal(lifter.lift_normalized(x, scores=np.where(far_arm < 1, 0.31, 1)),
                                  seen)
    with pytest.raises(ValueError, match='one score per keypoint'):
        lifter.lift_normalized(x, scores=np.ones((60, 17)))
    # lifters without flags take positions only: scores change nothing
    plain, _ = small_lifter(osp.join(REPO, 'configs', 'runningpose_tcn_27frm.py'))
    assert plain.confidence_threshold is None
    np.testing.assert_array_equal(plain.lift_normalized(x, scores=far_arm),
                                  plain.lift_normalized(x))


def test_flip_test_mirrors_the_flags_with_their_keypoints():
    """Lifting the mirror image of a clip (flags swapped with their keypoints) with the
    flip test gives exactly the mirrored 3D: the mirrored pass moved each flag with its
    keypoint."""
    lifter, cfg = small_lifter()
    both = WholeSequenceLifter(cfg.model, lifter.model.state_dict(), flip_test=True)
    flip = list(runningpose19().flip_indices)
    rng = np.random.default_rng(2)
    kp = rng.uniform(100, 700, (50, 19, 2))
    scores = np.where(rng.random((50, 19)) < 0.3, 0.1, 0.9)
    mirrored = kp[:, flip].copy()
    mirrored[..., 0] = 800 - mirrored[..., 0]
    out = both(kp, (800, 600), scores=scores)
    np.testing.assert_allclose(both(mirrored, (800, 600), scores=scores[:, flip]),
                               out[:, flip] * np.array([-1.0, 1.0, 1.0]), atol=1e-5)
    # the flags matter to that average too
    assert np.abs(both(kp, (800, 600)) - out).max() > 1e-4


def test_lift_clip_and_the_online_lifter_pass_the_scores():
    lifter, _ = small_lifter()
    lifter.fps = 50.0
    rng = np.random.default_rng(3)
    kp = rng.uniform(200, 400, (90, 19, 2))
    scores = np.full((90, 19), 0.9)
    scores[:, [15, 16]] = 0.05
    lifted = lift_clip(lifter, kp, scores, 50.0, (640, 480), min_segment_s=0,
                       fix_swaps=False, equalise_bones=False)  # random points: no runner
    assert lifted.valid.all()
    np.testing.assert_allclose(lifted.keypoints_3d, lifter(kp, (640, 480), scores=scores),
                               atol=1e-5)
    unflagged = lift_clip(lifter, kp, np.full((90, 19), 0.9), 50.0, (640, 480),
                          min_segment_s=0, fix_swaps=False, equalise_bones=False)
    assert np.abs(unflagged.keypoints_3d - lifted.keypoints_3d).max() > 1e-4
    causal, _ = small_lifter(extra=['model.backbone.causal=True'])
    online = OnlineLifter(causal, (640, 480))
    frames = np.stack([online(k, s) for k, s in zip(kp, scores)])
    np.testing.assert_allclose(frames, causal(kp, (640, 480), scores=scores), atol=1e-4)


@pytest.fixture(scope='module')
def flagged_data(tmp_path_factory):
    """Every view with detector-like 2D: far-side limbs scored 0.02-0.3."""
    root = tmp_path_factory.mktemp('flagged')
    trials = synthetic_trials(2, 'train', 0, 2.0) + synthetic_trials(1, 'val', 1, 2.0) + \
        synthetic_trials(1, 'test', 2, 2.0)
    build_dataset(trials, str(root), BuildConfig(
        cameras_per_trial=2, min_frames_in_view=40, noise=DetectorNoiseConfig(),
        noise_fraction=1.0, noise_splits=('train', 'val', 'test')), progress=False)
    scores = np.load(osp.join(root, 'test.npz'))['keypoints_2d_visible']
    assert 0.02 < (scores <= 0.3).mean() < 0.5  # some keypoints are guesses
    return str(root)


def test_training_and_whole_sequence_evaluation_see_the_same_flags(flagged_data, tmp_path):
    """A seen-flag lifter trains through MMPose's Runner (the codec builds its input),
    the whole-sequence evaluation (our input path, scores from the dataset) scores what
    MMPose's window-by-window loop scores, and a positions-only config refuses its
    checkpoint with a clear error."""
    from runningpose_mm.evaluation import score_on_test_set
    from runningpose_mm.apis.lifting import load_lifter
    options = SMALL + [f'{s}_dataloader.dataset.data_root={flagged_data}'
                       for s in ('train', 'val', 'test')] + \
        [f'{s}_dataloader.batch_size=64' for s in ('train', 'val', 'test')] + \
        ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1', 'randomness.seed=0',
         'default_hooks.logger.interval=5']
    runner = build_runner(SEEN, work_dir=str(tmp_path / 'train'), cfg_options=options)
    runner.train()
    ckpt = sorted(glob.glob(str(tmp_path / 'train' / 'epoch_*.pth')))[-1]
    results = {}
    for loop in ('WholeSequenceTestLoop', 'TestLoop'):
        tester = build_runner(SEEN, work_dir=str(tmp_path / loop), load_from=ckpt,
                              cfg_options=options + [f'test_cfg.type={loop}'])
        results[loop] = tester.test()
    for key in ('MPJPE', 'P-MPJPE', 'MPJPE/right_wrist'):
        np.testing.assert_allclose(results['WholeSequenceTestLoop'][key],
                                   results['TestLoop'][key], rtol=1e-4)
    # without the scores the same weights score differently: the flags are used
    small = str(tmp_path / 'small_seen.py')
    load_config(SEEN, options).dump(small)
    lifter = load_lifter(small, ckpt)
    tester = build_runner(SEEN, work_dir=str(tmp_path / 'unflagged'), cfg_options=options)
    lifter.confidence_threshold = 0.0  # every score above 0: all seen
    unflagged = score_on_test_set(tester, lifter)['MPJPE']
    assert abs(unflagged - results['TestLoop']['MPJPE']) > 0.01
    plain = str(tmp_path / 'small_plain.py')
    load_config(osp.join(REPO, 'configs', 'runningpose_tcn_released.py'), options).dump(plain)
    with pytest.raises(LifterMetaError, match='seen flags at score threshold 0.3, the '
                       'config takes positions only'):
        load_lifter(plain, ckpt)
    # a checkpoint that does not record its threshold: the input layer tells
    checkpoint = torch.load(ckpt, map_location='cpu', weights_only=False)
    assert checkpoint['meta']['runningpose'].pop('confidence_threshold') == 0.3
    torch.save(checkpoint, tmp_path / 'unrecorded.pth')
    with pytest.raises(InputChannelMismatchError, match='3 input channels per keypoint, the '
                       'config 2'):
        load_lifter(plain, str(tmp_path / 'unrecorded.pth'))
    # the threshold travels with the weights: a config with another one is refused
    other = str(tmp_path / 'other_threshold.py')
    load_config(SEEN, options + ['model.head.decoder.confidence_threshold=0.5']).dump(other)
    with pytest.raises(LifterMetaError, match='threshold 0.3, the config sets 0.5'):
        load_lifter(other, ckpt)
