"""The fast 2D stage (``apis.pose2d_stage``): keyframe detection, boxes from keypoints,
batched crops, background decoding; against MMPose's per-frame path."""
import cv2
import numpy as np
import pytest

import runningpose_mm  # noqa: F401
from runningpose_mm.apis.inferencer import RunningPoseInferencer
from runningpose_mm.apis.pose2d_stage import FrameSource, keypoint_box
from runningpose_mm.apis.video_lifting import main_runner_keypoints

from conftest import REPO
from oracle_models import oracle_configs, render_people, stick_figure

LIFTER = f'{REPO}/configs/runningpose_tcn_27frm.py'
FPS, SIZE = 30, (640, 360)


@pytest.fixture(scope='module')
def oracle_inferencer(tmp_path_factory):
    pose_cfg, det_cfg = oracle_configs(tmp_path_factory.mktemp('oracle'))
    return RunningPoseInferencer(LIFTER, 'random', pose2d=pose_cfg, pose2d_weights='random',
                                 det_model=det_cfg, det_weights='random')


def arrays(people):
    """(T, 26, 2) keypoints and (T, 26) scores of the one-runner-per-frame lists (NaN, 0
    where nobody)."""
    kp = np.full((len(people), 26, 2), np.nan)
    sc = np.zeros((len(people), 26))
    for t, p in enumerate(people):
        if p:
            kp[t], sc[t] = p[0]['keypoints'], p[0]['keypoint_scores']
    return kp, sc


def crossing_clip(seconds=4.0):
    """A runner crossing left to right; a smaller walker crossing right to left in front
    (lower in the image) halfway through."""
    frames, runner, walker = [], [], []
    for t in range(int(seconds * FPS)):
        s = t / FPS
        runner.append(stick_figure(60 + 120 * s, 300, 220, 2 * np.pi * 2.8 * s, 1))
        walker.append(stick_figure(620 - 140 * s, 340, 190, 2 * np.pi * 1.5 * s, -1))
        frames.append(render_people(SIZE, [runner[-1], walker[-1]]))
    return frames, np.array(runner), np.array(walker)


def apart(a, b, margin=10):
    """(T,) frames in which two people's keypoint boxes do not touch."""
    return (a[..., 0].max(1) + margin < b[..., 0].min(1)) | \
        (b[..., 0].max(1) + margin < a[..., 0].min(1))


def test_fast_2d_matches_the_per_frame_path_and_keeps_the_runner(oracle_inferencer):
    inf = oracle_inferencer
    frames, runner, walker = crossing_clip()
    source, _, size = inf.open_video(frames, FPS)
    per_frame = inf.detect_2d(source(), show_progress=False)
    fast = inf.runner_2d(source, size, FPS, show_progress=False)
    # one detector pass per 0.5 s (15 frames) instead of one per frame, none again
    assert inf.runner_2d.interval == 15
    assert inf.runner_2d.counts['detect'] == len(frames) // 15
    assert inf.runner_2d.counts['redetected'] == 0
    assert all(len(p) == 1 for p in fast)
    slow_kp, slow_sc, chosen = main_runner_keypoints(per_frame)
    fast_kp, fast_sc = arrays(fast)
    assert (chosen >= 0).all()
    # where the two people are apart both paths read the same runner, within a pixel
    clear = apart(runner, walker)
    assert clear.sum() > 60
    both = clear[:, None] & (slow_sc > 0) & (fast_sc > 0)
    diff = np.linalg.norm(slow_kp - fast_kp, axis=-1)[both]
    assert np.median(diff) < 0.5 and np.percentile(diff, 99) < 2.0, \
        (np.median(diff), np.percentile(diff, 99))
    # after the walker crossed in front, the track is still the runner, not the walker
    after = np.arange(len(frames)) > np.flatnonzero(~clear).max()
    assert after.sum() >= 20
    seen = after[:, None] & (fast_sc > 0)
    error = np.linalg.norm(fast_kp - runner, axis=-1)[seen]
    assert np.percentile(error, 95) < 2.0, np.percentile(error, 95)


def test_a_runner_who_leaves_for_two_seconds_is_found_again(oracle_inferencer):
    """Out of view from 1.4 s to 3.6 s, back from the other side; a person further away
    stands on the left all the time. The runner is followed before and after, the
    bystander never."""
    inf = oracle_inferencer
    frames, truth, visible = [], [], []
    stander = stick_figure(70, 250, 100, 0.0, 1)
    for t in range(int(5.5 * FPS)):  # ends before the runner reaches the other person
        s = t / FPS
        if s < 2.5:
            x, facing = 330 + 250 * s, 1     # out on the right from about 1.4 s
        else:
            x, facing = 1580 - 250 * s, -1   # back from the right at about 3.6 s
        runner = stick_figure(x, 300, 220, 2 * np.pi * 2.8 * s, facing)
        frames.append(render_people(SIZE, [stander, runner]))
        truth.append(runner)
        visible.append(runner[:, 0].min() > 0 and runner[:, 0].max() < SIZE[0])
    truth, visible = np.array(truth), np.array(visible)
    source, _, size = inf.open_video(frames, FPS)
    fast_kp, fast_sc = arrays(inf.runner_2d(source, size, FPS, show_progress=False))
    found = (fast_sc > 0).any(1)
    assert found[visible].mean() > 0.9, found[visible].mean()
    gone = (truth[..., 0] > SIZE[0]).all(1)
    assert gone.sum() >= 2 * FPS and not found[gone].any()  # fully out: nobody
    # every keypoint given is the runner's
    error = np.linalg.norm(fast_kp - truth, axis=-1)[fast_sc > 0]
    assert np.percentile(error, 99) < 3.0


def test_frames_are_decoded_in_order_in_a_background_thread(tmp_path):
    path = str(tmp_path / 'clip.avi')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), FPS, (64, 48))
    for t in range(23):
        writer.write(np.full((48, 64, 3), 10 * t, np.uint8))
    writer.release()
    source = FrameSource(path, 23)
    means = [f.mean() for f in source()]
    assert len(means) == 23 and np.allclose(means, 10 * np.arange(23), atol=3)
    picked = list(source.select(lambda t: t % 5 == 0))
    assert [t for t, _ in picked] == [0, 5, 10, 15, 20]
    assert np.allclose([f.mean() for _, f in picked], [0, 50, 100, 150, 200], atol=3)
    first = next(iter(source()))  # stopping early ends the thread cleanly
    assert first.shape == (48, 64, 3)


def test_keypoint_box():
    kp = np.array([[10, 20], [30, 60], [20, 40], [500, 500.]])
    box = keypoint_box(kp, np.array([1, 1, 1, 0.]), (640, 360))
    assert np.allclose(box, [7.5, 15, 32.5, 65])  # 1.25 x the span, low score left out
    assert keypoint_box(kp, np.array([1, 1, 0, 0.]), (640, 360)) is None


def test_batched_crops_equal_the_per_image_inferencer():
    """RTMPose-m (random weights) on 4 crops in one batch == MMPose's per-image API
    (``inference_topdown``) with the same box; detections filtered as MMPose's
    inferencer does. (``Pose2DInferencer`` ignores given boxes in mmpose 1.3.2.)"""
    from mmpose.apis import inference_topdown
    inf = RunningPoseInferencer(LIFTER, 'random', pose2d='halpe26', pose2d_weights='random',
                                det_model=None, det_weights='random')
    rng = np.random.default_rng(0)
    # square images: the detector pads nothing, in our pipeline or in MMPose's
    images = [rng.integers(0, 255, (320, 320, 3), dtype=np.uint8) for _ in range(4)]
    boxes = [np.array([20 + 10 * i, 30, 200 + 5 * i, 230.]) for i in range(4)]
    stage = inf.runner_2d
    batched = stage.estimate(images, boxes)
    for img, box, got in zip(images, boxes, batched):
        ref = inference_topdown(inf.pose2d.model, img, bboxes=box[None])[0].pred_instances
        assert np.abs(got['keypoints'] - ref.keypoints[0]).max() < 1e-3
        assert np.abs(got['keypoint_scores'] - ref.keypoint_scores[0]).max() < 1e-5
    stage.bbox_thr = 0.0  # random weights: keep every box there is
    detected = stage.detect(images[:2])
    for img, got in zip(images[:2], detected):
        ref = next(inf.pose2d(img, bbox_thr=0.0, return_datasamples=True))
        ref_boxes = ref['predictions'][0].pred_instances.bboxes
        assert got.shape[0] == len(ref_boxes) > 0
        assert np.abs(np.sort(got[:, :4], 0) - np.sort(ref_boxes, 0)).max() < 1e-2
