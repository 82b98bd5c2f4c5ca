"""Video -> 2D (MMPose RTMPose, random weights) -> runningpose19 -> 3D -> files."""
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest

import runningpose_mm  # noqa: F401
from runningpose_mm.apis.inferencer import (RunningPoseInferencer, VideoInputError,
                                            WeightsUnavailableError, resolve_weights)
from runningpose_mm.apis.keypoint_conversion import NoFootKeypointsError
from runningpose_mm.mocap import synthesize_run
from runningpose_mm.mocap.cameras import Camera, look_at
from runningpose_mm.skeleton import runningpose19

from conftest import REPO

LIFTER = osp.join(REPO, 'configs', 'runningpose_tcn_27frm.py')


def make_video(path, frames=15, fps=30):
    run = synthesize_run(duration_s=frames / fps, rate_hz=fps)
    cam = Camera('c', look_at([0, -6, 1], [0, 0, 1]), [0, -6, 1], [300, 300], [160, 120],
                 320, 240)
    kp = cam.project_world(run.joints_m - run.joints_m[:, :1] * [1, 1, 0])
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'mp4v'), fps, (320, 240))
    for t in range(frames):
        img = np.full((240, 320, 3), 200, np.uint8)
        for a, b in runningpose19().links:
            cv2.line(img, tuple(int(v) for v in kp[t, a]), tuple(int(v) for v in kp[t, b]),
                     (40, 40, 40), 3)
        writer.write(img)
    writer.release()
    return str(path)


@pytest.fixture(scope='module')
def inferencer():
    return RunningPoseInferencer(LIFTER, 'random', pose2d='halpe26', pose2d_weights='random',
                                 det_model='whole_image')


def test_video_to_3d_files_and_pictures(inferencer, tmp_path):
    video = make_video(tmp_path / 'run.mp4')
    # MMPose's call style: a generator with one result per video
    out = next(inferencer(video, vis_out_dir=str(tmp_path / 'vis'),
                          pred_out_dir=str(tmp_path / 'pred'), show_progress=False))
    lifted = out['predictions']
    assert out['fps'] == pytest.approx(30) and lifted.num_frames == 15
    assert lifted.keypoints_3d.shape == (15, 19, 3) and lifted.keypoints_2d.shape == (15, 19, 2)
    for kind in ('npz', 'csv', 'json', 'trc', 'c3d', 'video', 'still'):
        assert osp.getsize(out['files'][kind]) > 0, kind
    capture = cv2.VideoCapture(out['files']['video'])
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 15
    assert cv2.imread(out['files']['still']).std() > 5


def test_three_frame_clip(inferencer, tmp_path):
    out = inferencer.infer(make_video(tmp_path / 'short.mp4', frames=3), show_progress=False)
    assert out['predictions'].num_frames == 3


def test_bad_videos_give_clear_errors(inferencer, tmp_path):
    (tmp_path / 'text.mp4').write_text('not a video')
    with pytest.raises(VideoInputError, match='text.mp4'):
        inferencer.infer(str(tmp_path / 'text.mp4'), show_progress=False)
    with pytest.raises(VideoInputError, match='does not exist'):
        inferencer.infer(str(tmp_path / 'missing.mp4'), show_progress=False)
    empty = cv2.VideoWriter(str(tmp_path / 'empty.mp4'), cv2.VideoWriter_fourcc(*'mp4v'), 30,
                            (64, 64))
    empty.release()
    with pytest.raises(VideoInputError, match='empty.mp4'):
        inferencer.infer(str(tmp_path / 'empty.mp4'), show_progress=False)


def test_a_video_with_nobody_is_reported(inferencer, tmp_path, monkeypatch):
    monkeypatch.setattr(inferencer, 'runner_2d',
                        lambda frames, size, fps, show_progress: [[] for _ in frames()])
    with pytest.raises(VideoInputError, match='no person detected'):
        inferencer.infer(make_video(tmp_path / 'x.mp4', frames=4), show_progress=False)


def test_a_2d_model_without_feet_is_refused(tmp_path):
    coco = 'mmpose::body_2d_keypoint/rtmpose/body8/rtmpose-t_8xb256-420e_body8-256x192.py'
    with pytest.raises(NoFootKeypointsError, match='no toes'):
        RunningPoseInferencer(LIFTER, 'random', pose2d=coco, pose2d_weights='random',
                              det_model='whole_image')


def test_missing_weights_say_which_file_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'hub'))
    url = 'http://127.0.0.1:9/rtmpose-m_halpe26.pth'  # nothing listens here
    with pytest.raises(WeightsUnavailableError) as err:
        resolve_weights(url, 'pose2d')
    message = str(err.value)
    assert url in message and 'rtmpose-m_halpe26.pth' in message and '--pose2d-weights' in message
    with pytest.raises(WeightsUnavailableError, match='do not exist'):
        resolve_weights(str(tmp_path / 'nope.pth'), 'lifter')


def test_cli_writes_everything(tmp_path):
    video = make_video(tmp_path / 'cli.mp4', frames=6)
    out = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'infer.py'), video,
                          '--lifter-config', LIFTER, '--lifter-weights', 'random',
                          '--pose2d-weights', 'random', '--det-model', 'whole_image',
                          '--out', str(tmp_path / 'o')],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert osp.isfile(tmp_path / 'o' / 'cli.trc') and osp.isfile(tmp_path / 'o' / 'cli_vis.mp4')
    bad = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'infer.py'),
                          str(tmp_path / 'none.mp4'), '--lifter-config', LIFTER,
                          '--lifter-weights', 'random', '--pose2d-weights', 'random',
                          '--det-model', 'whole_image'],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode != 0 and 'error:' in bad.stderr and 'Traceback' not in bad.stderr
    for option, value in (('--det-interval', '0'), ('--batch-size', 'two')):
        bad = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'infer.py'), video,
                              option, value], capture_output=True, text=True, timeout=300)
        assert bad.returncode == 2 and f'argument {option}' in bad.stderr, bad.stderr[-500:]
        assert 'Traceback' not in bad.stderr
