"""The lifted runner drawn as a video: 2D keypoints on the frame beside the 3D skeleton,
with MMPose's ``Pose3dLocalVisualizer`` (runningpose19 metainfo)."""
import os
import os.path as osp
from typing import Dict, Iterable

import numpy as np

from ..skeleton import metainfo


def _upright(pose_cam: np.ndarray) -> np.ndarray:
    """Camera frame (x right, y down, z forward) -> plot frame with z up, feet at 0."""
    pose = np.stack([pose_cam[:, 0], pose_cam[:, 2], -pose_cam[:, 1]], axis=-1)
    pose = pose - pose[:1]  # root at the origin
    return pose - [0, 0, np.nanmin(pose[:, 2])]


def render_frame(visualizer, frame: np.ndarray, pose_3d: np.ndarray, kp_2d: np.ndarray,
                 scores: np.ndarray) -> np.ndarray:
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    sample = PoseDataSample()
    sample.pred_instances = InstanceData(keypoints=_upright(pose_3d)[None],
                                         keypoint_scores=np.ones((1, 19)))
    det = PoseDataSample()
    box = np.array([[np.nanmin(kp_2d[:, 0]), np.nanmin(kp_2d[:, 1]), np.nanmax(kp_2d[:, 0]),
                     np.nanmax(kp_2d[:, 1])]])
    det.pred_instances = InstanceData(keypoints=kp_2d[None], keypoint_scores=scores[None],
                                      bboxes=box)
    visualizer.add_datasample('frame', frame[..., ::-1].copy(), sample, det_data_sample=det,
                              draw_gt=False, convert_keypoint=False, axis_limit=1.2,
                              axis_azimuth=-60, kpt_thr=0.0)
    return visualizer.get_image()[..., ::-1]  # RGB -> BGR for OpenCV


def render_video(frames: Iterable[np.ndarray], lifted, prefix: str,
                 show_progress: bool = True) -> Dict[str, str]:
    """Write ``<prefix>_vis.mp4`` (every frame) and ``<prefix>_still.png`` (middle frame
    with a pose). Frames without a pose show the video frame alone, with a note."""
    import cv2
    from mmpose.visualization import Pose3dLocalVisualizer
    from tqdm import tqdm
    os.makedirs(osp.dirname(prefix) or '.', exist_ok=True)
    visualizer = Pose3dLocalVisualizer(name=f'runningpose_video_{id(lifted)}')
    visualizer.set_dataset_meta(metainfo())
    paths = dict(video=f'{prefix}_vis.mp4', still=f'{prefix}_still.png')
    writer, size = None, None
    valid = np.flatnonzero(lifted.valid)
    still_index = int(valid[len(valid) // 2]) if len(valid) else 0
    frames = tqdm(frames, total=lifted.num_frames, desc='rendering', unit='frame',
                  disable=None if show_progress else True)  # None: off in logs
    for t, frame in enumerate(frames):
        if t >= lifted.num_frames:
            break
        if lifted.valid[t]:
            image = render_frame(visualizer, frame, lifted.keypoints_3d[t],
                                 lifted.keypoints_2d[t], lifted.scores_2d[t])
        else:
            image = frame.copy()
            cv2.putText(image, 'no runner pose', (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0,
                        (0, 0, 255), 2)
        if writer is None:
            size = (image.shape[1], image.shape[0])
            writer = cv2.VideoWriter(paths['video'], cv2.VideoWriter_fourcc(*'mp4v'),
                                     lifted.fps, size)
        if (image.shape[1], image.shape[0]) != size:
            image = cv2.resize(image, size)
        writer.write(np.ascontiguousarray(image))
        if t == still_index:
            cv2.imwrite(paths['still'], image)
    if writer is not None:
        writer.release()
    return paths
