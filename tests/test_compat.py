"""The upstream breakages on today's stack, each exercised through the broken path."""
import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer
from mmengine.runner import load_checkpoint, save_checkpoint

import runningpose_mm  # noqa: F401  (applies the fixes)
from runningpose_mm import compat
from runningpose_mm.skeleton import metainfo


def test_fixes_are_idempotent():
    again = compat.apply_all()
    assert again == dict(mmengine_checkpoint_loading=False, opencv_circle_radius=False,
                         matplotlib_tostring_rgb=False, quiet_known_library_noise=False)


def test_mmengine_checkpoint_with_runner_state_loads_on_torch_2_14(tmp_path):
    model = torch.nn.Linear(3, 2)
    path = str(tmp_path / 'ckpt.pth')
    # what mmengine's Runner stores besides weights: message hub buffers, numpy scalars
    save_checkpoint(dict(state_dict=model.state_dict(), meta=dict(
        epoch=3, best=np.float64(41.5), hub=HistoryBuffer([1.0, 2.0], [1, 1]))), path)
    with pytest.raises(Exception, match='[Ww]eights only load failed'):
        torch.load(path)  # torch's default since 2.6: what broke mmengine
    fresh = torch.nn.Linear(3, 2)
    checkpoint = load_checkpoint(fresh, path, map_location='cpu')
    assert checkpoint['meta']['epoch'] == 3
    torch.testing.assert_close(fresh.weight, model.weight)


def test_pose_visualizer_draws_keypoints_with_array_radius_on_numpy_2_4():
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    from mmpose.visualization import PoseLocalVisualizer
    vis = PoseLocalVisualizer(radius=4)
    vis.set_dataset_meta(metainfo())
    sample = PoseDataSample()
    kpts = np.stack([np.linspace(50, 150, 19), np.linspace(20, 180, 19)], -1)[None]
    sample.pred_instances = InstanceData(keypoints=kpts, keypoint_scores=np.ones((1, 19)))
    image = np.zeros((200, 200, 3), np.uint8)
    drawn = vis.add_datasample('x', image, sample, draw_gt=False, draw_bbox=False)
    assert drawn.shape == image.shape and drawn.any()


def test_pose3d_visualizer_renders_a_frame_to_a_non_blank_png(tmp_path):
    import cv2
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    from mmpose.visualization import Pose3dLocalVisualizer
    from runningpose_mm.mocap import synthesize_run
    pose = synthesize_run(duration_s=0.2, rate_hz=50).joints_m[5]
    pose = pose - pose[0]
    sample = PoseDataSample()
    sample.pred_instances = InstanceData(keypoints=pose[None], keypoint_scores=np.ones((1, 19)))
    det = PoseDataSample()
    det.pred_instances = InstanceData(
        keypoints=np.stack([320 + 200 * pose[:, 0], 400 - 200 * pose[:, 2]], -1)[None],
        keypoint_scores=np.ones((1, 19)), bboxes=np.array([[100, 20, 540, 460]]))
    vis = Pose3dLocalVisualizer()
    vis.set_dataset_meta(metainfo())
    out = str(tmp_path / 'frame.png')
    vis.add_datasample('frame', np.full((480, 640, 3), 255, np.uint8), sample,
                       det_data_sample=det, draw_gt=False, convert_keypoint=False,
                       out_file=out)
    png = cv2.imread(out)
    assert png is not None and png.shape[1] > 640
    assert (png < 200).mean() > 0.002  # skeleton strokes, not a blank canvas


def test_known_harmless_library_noise_is_dropped_and_the_rest_kept(capsys):
    """mmengine's own FileClient/HardDiskBackend deprecations are not shown (our lines
    are); other messages still are."""
    from mmengine.fileio import file_client
    from mmengine.logging import MMLogger
    logger = MMLogger.get_instance('quiet_test', log_level='INFO')
    file_client.FileClient('disk')
    file_client.HardDiskBackend()
    file_client.print_log('a message users need', logger=logger)
    captured = capsys.readouterr()
    text = captured.out + captured.err
    assert 'FileClient" will be deprecated' not in text and 'HardDiskBackend' not in text
    assert 'a message users need' in text
