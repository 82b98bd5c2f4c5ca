"""Stand-ins for trained MMDet/MMPose weights, for tests of what surrounds the models.

The real weights cannot be downloaded here and random weights see nobody, so tests of
the 2D stage's tracking (which person is followed, which box each frame is cropped
from) draw people whose keypoints a simple rule can read back:

- ``render_people``: stick figures on a grey background, each Halpe-26 keypoint a dot
  of its own colour (BGR (0, 20 + 8 j, 255)), limbs as dark lines.
- ``BlobPersonDetector`` (an RTMDet): one box per connected dark blob (a person, or two
  that overlap) in the image the detector's own pipeline made.
- ``ColourDotPoseEstimator`` (a top-down RTMPose): in the crop the pose pipeline made
  (``TopdownAffine``), each keypoint is the dot of its colour nearest the crop's centre,
  as a top-down model reads the centred person; score 1 where the dot is seen, 0 not.

Both run inside the real models' classes, pipelines, data preprocessors and
``test_step``; only the network's prediction is replaced.
"""
import cv2
import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData

from mmdet.models.detectors import RTMDet
from mmdet.registry import MODELS as DET_MODELS
from mmpose.models.pose_estimators import TopdownPoseEstimator
from mmpose.registry import MODELS as POSE_MODELS

from runningpose_mm.apis.inferencer import _inference_models, resolve_config

NUM_KEYPOINTS = 26
BACKGROUND = 200
LIMB_COLOUR = (60, 60, 60)
#: Halpe-26 limbs drawn as lines (they join a person into one blob)
LIMBS = [(17, 18), (18, 5), (18, 6), (5, 7), (7, 9), (6, 8), (8, 10), (18, 19), (19, 11),
         (19, 12), (11, 13), (13, 15), (12, 14), (14, 16), (15, 24), (15, 20), (16, 25),
         (16, 21), (20, 22), (21, 23), (0, 17), (3, 17), (4, 17)]


def dot_green(j: int) -> int:
    return 20 + 8 * j


def stick_figure(x: float, ground_y: float, height: float, phase: float, facing: int = 1
                 ) -> np.ndarray:
    """(26, 2) Halpe-26 pixels of a running figure (``facing`` +1: to the right)."""
    h, f = height, facing
    p = np.zeros((NUM_KEYPOINTS, 2))

    def at(dx, up):
        return np.array([x + f * dx * h, ground_y - up * h])
    p[0], p[1], p[2] = at(0.07, 0.90), at(0.04, 0.94), at(0.0, 0.945)
    p[3], p[4] = at(-0.04, 0.92), at(-0.08, 0.93)
    p[17], p[18], p[19] = at(-0.01, 0.99), at(0.0, 0.86), at(0.0, 0.53)
    p[5], p[6] = at(0.05, 0.82), at(-0.05, 0.82)
    p[11], p[12] = at(0.05, 0.53), at(-0.05, 0.53)
    for side, sign in ((0, 1.0), (1, -1.0)):  # left, right: opposite phases
        swing = 0.5 * sign * np.sin(phase)
        flex = 0.4 * (1 + np.cos(phase + (0 if side == 0 else np.pi)))
        hip = p[11 + side]
        knee = hip + 0.25 * h * np.array([f * np.sin(swing), np.cos(swing)])
        ankle = knee + 0.25 * h * np.array([f * np.sin(swing - flex), np.cos(swing - flex)])
        p[13 + side], p[15 + side] = knee, ankle
        p[24 + side] = ankle + h * np.array([-0.04 * f, 0.03])
        p[20 + side] = ankle + h * np.array([0.10 * f, 0.035])
        p[22 + side] = ankle + h * np.array([0.06 * f, 0.075])
        shoulder = p[5 + side]
        arm = -0.6 * sign * np.sin(phase)
        elbow = shoulder + 0.15 * h * np.array([f * np.sin(arm), np.cos(arm)])
        p[7 + side] = elbow
        p[9 + side] = elbow + 0.13 * h * np.array([f * np.sin(arm + 1.4), np.cos(arm + 1.4)])
    return p


def render_people(size, people) -> np.ndarray:
    """A BGR frame with the people (each (26, 2) pixels) drawn back to front."""
    w, h = size
    img = np.full((h, w, 3), BACKGROUND, np.uint8)
    for kp in people:
        for a, b in LIMBS:
            cv2.line(img, tuple(int(round(v)) for v in kp[a]),
                     tuple(int(round(v)) for v in kp[b]), LIMB_COLOUR, 5)
        for j, point in enumerate(kp):
            cv2.circle(img, tuple(int(round(v)) for v in point), 4, (0, dot_green(j), 255), -1)
    return img


def _denormalise(inputs: torch.Tensor, preprocessor) -> np.ndarray:
    """(N, H, W, 3) pixel values of a batch back from the data preprocessor."""
    mean = preprocessor.mean.view(1, -1, 1, 1)
    std = preprocessor.std.view(1, -1, 1, 1)
    return (inputs * std + mean).permute(0, 2, 3, 1).cpu().numpy()


@DET_MODELS.register_module()
class BlobPersonDetector(RTMDet):
    """Boxes of dark blobs (see the module docstring)."""

    def predict(self, batch_inputs, batch_data_samples, rescale: bool = True):
        images = _denormalise(batch_inputs, self.data_preprocessor)  # BGR (no swap)
        for img, sample in zip(images, batch_data_samples):
            dark = (img.min(-1) < 100).astype(np.uint8)
            dark = cv2.dilate(dark, np.ones((5, 5), np.uint8))
            count, _, stats, _ = cv2.connectedComponentsWithStats(dark)
            boxes = [[x, y, x + bw, y + bh] for x, y, bw, bh, area in stats[1:count]
                     if area > 50]
            boxes = np.array(boxes, np.float32).reshape(-1, 4)
            sx, sy = sample.metainfo['scale_factor']
            boxes /= np.array([sx, sy, sx, sy], np.float32)
            sample.pred_instances = InstanceData(
                bboxes=torch.from_numpy(boxes), scores=torch.full((len(boxes),), 0.9),
                labels=torch.zeros(len(boxes), dtype=torch.long))
        return batch_data_samples


@POSE_MODELS.register_module()
class ColourDotPoseEstimator(TopdownPoseEstimator):
    """Keypoints from coloured dots (see the module docstring)."""

    def predict(self, inputs, data_samples):
        images = _denormalise(inputs, self.data_preprocessor)  # RGB (the pipeline swapped)
        results = []
        for img in images:
            h, w = img.shape[:2]
            centre = np.array([w / 2, h / 2])
            red, green, blue = img[..., 0], img[..., 1], img[..., 2]
            dot = (red > 245) & (blue < 6)  # the dot, not its edges blended with grey
            code = np.clip(np.round((green - 20) / 8), -1, NUM_KEYPOINTS).astype(int)
            keypoints = np.tile(centre, (1, NUM_KEYPOINTS, 1)).astype(np.float32)
            scores = np.zeros((1, NUM_KEYPOINTS), np.float32)
            for j in range(NUM_KEYPOINTS):
                mask = (dot & (code == j)).astype(np.uint8)
                count, _, stats, centroids = cv2.connectedComponentsWithStats(mask)
                if count < 2:
                    continue
                areas = stats[1:, 4]
                # blended edges of other dots make specks of a few pixels
                big = np.flatnonzero(areas >= max(6, 0.3 * areas.max()))
                if not len(big):
                    continue
                nearest = big[np.argmin(np.linalg.norm(centroids[1:][big] - centre, axis=1))]
                keypoints[0, j] = centroids[1 + nearest]
                scores[0, j] = 1.0
            results.append(InstanceData(keypoints=keypoints, keypoint_scores=scores))
        return self.add_pred_to_datasample(results, None, data_samples)


def oracle_configs(tmp_path) -> tuple:
    """Config files of the stand-in detector and 2D model (the real RTMDet-m person and
    RTMPose-m Halpe-26 configs with their model type replaced)."""
    models = _inference_models()
    pose = Config.fromfile(resolve_config(models['pose2d']['halpe26']['config']))
    pose.model.type = 'ColourDotPoseEstimator'
    det = Config.fromfile(resolve_config(models['detector']['config']))
    det.model.type = 'BlobPersonDetector'
    paths = str(tmp_path / 'oracle_pose.py'), str(tmp_path / 'oracle_det.py')
    pose.dump(paths[0])
    det.dump(paths[1])
    return paths
