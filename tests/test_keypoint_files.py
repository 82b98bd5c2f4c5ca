"""Lifting 2D keypoints a user already has: MMPose JSON, NPZ and CSV files of Halpe-26,
COCO-WholeBody and MediaPipe/BlazePose keypoints; frame rate and image size from the file
or the caller; occluded keypoints kept."""
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest

import runningpose_mm  # noqa: F401
from runningpose_mm.apis.inferencer import RunningPoseInferencer
from runningpose_mm.apis.keypoint_conversion import (MEDIAPIPE33_NAMES, source_keypoint_names,
                                                     to_runningpose19)
from runningpose_mm.apis.keypoint_files import KeypointFileError, read_keypoints_2d
from runningpose_mm.apis.lifting import load_lifter
from runningpose_mm.apis.video_lifting import lift_clip
from runningpose_mm.mocap import (RunnerParams, VirtualRigConfig, sample_virtual_cameras,
                                  synthesize_run)
from runningpose_mm.skeleton import runningpose19

from conftest import REPO

LIFTER = osp.join(REPO, 'configs', 'runningpose_tcn_27frm.py')
SK = runningpose19()


def _source_keypoints(names, frames=40, seed=0):
    """A plausible moving person in a source keypoint set: the synthetic runner's joints
    projected, each source keypoint at the nearest runningpose19 joint (toes ahead)."""
    # a treadmill runner, framed in the middle: every keypoint inside the image
    run = synthesize_run(RunnerParams(treadmill=True), duration_s=frames / 30, rate_hz=30.0)
    cam = sample_virtual_cameras(run.joints_m, 1, np.random.default_rng(seed),
                                 VirtualRigConfig(off_centre=0.0))[0]
    kp19 = cam.project_world(run.joints_m)
    pick = {'ear': 'head', 'eye': 'head', 'nose': 'head', 'mouth': 'head', 'heel': 'ankle',
            'toe': 'forefoot', 'foot_index': 'forefoot', 'pinky': 'wrist', 'index': 'wrist',
            'thumb': 'wrist'}
    out = np.zeros((frames, len(names), 2))
    for k, name in enumerate(names):
        side = 'left' if name.startswith('left') else 'right'
        target = next((v for key, v in pick.items() if key in name), None)
        joint = name if name in SK.names else f'{side}_{target}' if target and \
            f'{side}_{target}' in SK.names else target if target in SK.names else 'root'
        out[:, k] = kp19[:frames, SK.index(joint)]
    return out, cam


@pytest.fixture(scope='module')
def inferencer():
    return RunningPoseInferencer(LIFTER, 'random', pose2d=None)


def test_mediapipe_npz_as_the_shared_files_store_it(tmp_path, inferencer):
    kp, cam = _source_keypoints(MEDIAPIPE33_NAMES)
    scores = np.full(kp.shape[:2], 0.95)
    scores[:, MEDIAPIPE33_NAMES.index('right_wrist')] = 0.04  # far arm: hidden, kept
    scores[:, MEDIAPIPE33_NAMES.index('right_elbow')] = 0.03
    path = tmp_path / 'mp.npz'
    np.savez(path, keypoints=kp.astype(np.float32), scores=scores.astype(np.float32),
             names=np.array(MEDIAPIPE33_NAMES), fps=30.0, width=cam.w, height=cam.h)
    data = read_keypoints_2d(str(path))
    assert data.keypoint_set == 'mediapipe33' and data.fps == 30.0
    assert data.image_size == (cam.w, cam.h)
    out = inferencer.lift_keypoints(str(path), pred_out_dir=str(tmp_path / 'o'))
    lifted = out['predictions']
    # the far arm scores 0.04 in every frame, yet every frame is lifted
    assert lifted.valid.all() and lifted.keypoints_3d.shape == (40, 19, 3)
    assert osp.isfile(tmp_path / 'o' / 'mp.trc')
    # normalised coordinates (MediaPipe's raw output) are scaled to pixels
    np.savez(tmp_path / 'norm.npz', keypoints=kp / [cam.w, cam.h], scores=scores,
             fps=30.0, width=cam.w, height=cam.h)
    scaled = read_keypoints_2d(str(tmp_path / 'norm.npz'))
    np.testing.assert_allclose(scaled.keypoints, kp, atol=1e-6)
    assert any('normalised' in n for n in scaled.notes)


def test_mmpose_prediction_json_with_a_bystander(tmp_path, inferencer):
    names = source_keypoint_names('halpe26')
    runner, cam = _source_keypoints(names, frames=30)
    frames = []
    for t in range(30):
        bystander = runner[t] * 0.3 + [cam.w * 0.8, 10.0]  # small, far, low scores
        instances = [dict(keypoints=(runner[t]).tolist(), keypoint_scores=[0.9] * 26,
                          bbox=[[*runner[t].min(0), *runner[t].max(0)]])]
        if t % 3:  # the bystander flickers
            instances.append(dict(keypoints=bystander.tolist(), keypoint_scores=[0.4] * 26,
                                  bbox=[[*bystander.min(0), *bystander.max(0)]]))
        frames.append(dict(frame_id=t, instances=instances[::-1]))
    path = tmp_path / 'preds.json'
    path.write_text(json.dumps(frames))
    with pytest.raises(KeypointFileError, match=r'frame rate \(fps\).*--fps'):
        read_keypoints_2d(str(path))
    data = read_keypoints_2d(str(path), fps=30, image_size=(cam.w, cam.h))
    assert data.keypoint_set == 'halpe26'
    np.testing.assert_allclose(data.keypoints, runner)  # the runner, never the bystander
    assert any('several people' in n for n in data.notes)
    lifted = inferencer.lift_keypoints(data)['predictions']
    assert lifted.valid.all()


def test_csv_with_named_columns(tmp_path):
    names = source_keypoint_names('coco_wholebody')
    kp, cam = _source_keypoints(names, frames=12)
    header = [f'{n}_{c}' for n in names for c in ('x', 'y', 'score')]
    rows = [','.join(header)] + [','.join(f'{v:.3f}' for k in range(len(names))
                                          for v in (*kp[t, k], 0.8)) for t in range(12)]
    (tmp_path / 'wb.csv').write_text('\n'.join(rows))
    data = read_keypoints_2d(str(tmp_path / 'wb.csv'), fps=25, image_size=(cam.w, cam.h))
    assert data.keypoint_set == 'coco_wholebody' and data.keypoints.shape == (12, 133, 2)
    kp19, _ = to_runningpose19(data.keypoints, data.scores, data.keypoint_set)
    assert np.isfinite(kp19).all()


def test_bad_keypoint_files_say_what_is_wrong(tmp_path, inferencer):
    np.savez(tmp_path / 'twenty.npz', keypoints=np.zeros((5, 20, 2)), fps=30.0, width=640,
             height=480)
    with pytest.raises(KeypointFileError, match='20 keypoints per frame is no known'):
        read_keypoints_2d(str(tmp_path / 'twenty.npz'))
    np.savez(tmp_path / 'nofps.npz', keypoints=np.ones((5, 33, 2)) * 100, width=640,
             height=480)
    with pytest.raises(KeypointFileError, match='does not give the frame rate'):
        read_keypoints_2d(str(tmp_path / 'nofps.npz'))
    with pytest.raises(KeypointFileError, match=r'says frame rate \(fps\) 30, the option 25'):
        np.savez(tmp_path / 'rate.npz', keypoints=np.ones((5, 33, 2)) * 100, fps=30.0,
                 width=640, height=480)
        read_keypoints_2d(str(tmp_path / 'rate.npz'), fps=25)
    kp, cam = _source_keypoints(MEDIAPIPE33_NAMES, frames=10)
    for name in ('left_heel', 'left_foot_index', 'right_heel', 'right_foot_index'):
        kp[:, MEDIAPIPE33_NAMES.index(name)] = np.nan
    np.savez(tmp_path / 'nofeet.npz', keypoints=kp, scores=np.ones(kp.shape[:2]), fps=30.0,
             width=cam.w, height=cam.h)
    with pytest.raises(Exception, match='no frame has every runningpose19 keypoint'):
        inferencer.lift_keypoints(str(tmp_path / 'nofeet.npz'))
    (tmp_path / 'x.json').write_text('{"not": "predictions"}')
    with pytest.raises(KeypointFileError, match='expected MMPose predictions'):
        read_keypoints_2d(str(tmp_path / 'x.json'), fps=30, image_size=(640, 480))


def test_lifting_at_another_rate_than_trained_is_refused():
    lifter = load_lifter(LIFTER, 'random')
    assert lifter.fps == 50.0
    with pytest.raises(ValueError, match='trained at 50 fps; lifting at 30 fps'):
        lift_clip(lifter, np.zeros((10, 19, 2)), np.ones((10, 19)), 30.0, (640, 480),
                  model_fps=30.0)


def test_cli_lifts_a_keypoint_file_and_reports_gait(tmp_path):
    kp, cam = _source_keypoints(MEDIAPIPE33_NAMES, frames=90)
    np.savez(tmp_path / 'clip.npz', keypoints=kp, scores=np.ones(kp.shape[:2]),
             names=np.array(MEDIAPIPE33_NAMES))
    tool = osp.join(REPO, 'tools', 'infer.py')
    base = [sys.executable, tool, '--keypoints', str(tmp_path / 'clip.npz'),
            '--lifter-config', LIFTER, '--lifter-weights', 'random']
    bad = subprocess.run(base, capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and 'error:' in bad.stderr and '--fps' in bad.stderr
    assert 'Traceback' not in bad.stderr
    out = subprocess.run(base + ['--fps', '30', '--image-size', str(cam.w), str(cam.h),
                                 '--out', str(tmp_path / 'o'), '--gait'],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert osp.isfile(tmp_path / 'o' / 'clip.c3d')
    assert osp.isfile(tmp_path / 'o' / 'gait' / 'report.html')
    assert 'cadence' in out.stdout
