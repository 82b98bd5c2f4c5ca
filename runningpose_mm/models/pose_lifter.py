from typing import Optional

from mmpose.models.pose_estimators import PoseLifter
from mmpose.registry import MODELS


class KeypointCountMismatchError(ValueError):
    """A checkpoint made for another number of keypoints than the model's."""


class InputChannelMismatchError(ValueError):
    """A checkpoint trained with seen flags for a config without them, or the reverse."""


@MODELS.register_module()
class RunningPoseLifter(PoseLifter):
    """MMPose's ``PoseLifter`` that refuses checkpoints for another keypoint count.

    mmengine loads checkpoints non-strictly: a Human3.6M (17-keypoint) checkpoint loaded
    into the 19-keypoint model only logs a size-mismatch warning and leaves the first and
    last layers random, so every prediction is silently wrong. This model checks the
    keypoint-dependent layers (2D input channels = 2 x K, or 3 x K with visibility, and
    output channels = 3 x K) and raises an error that says both counts and how to convert.

    Args:
        num_keypoints (int): keypoints of the model (19 for runningpose19).
        Other arguments: see ``mmpose.models.PoseLifter``.
    """

    def __init__(self, num_keypoints: int = 19, **kwargs):
        super().__init__(**kwargs)
        self.num_keypoints = num_keypoints
        self._register_load_state_dict_pre_hook(self._check_keypoint_count, with_module=False)

    def _check_keypoint_count(self, state_dict, prefix, *args, **kwargs) -> None:
        own = self.state_dict()
        for key, own_value in own.items():
            value = state_dict.get(prefix + key)
            if value is None or tuple(value.shape) == tuple(own_value.shape) or \
                    value.dim() < 2:
                continue
            if key.endswith('backbone.expand_conv.conv.weight') and \
                    value.shape[0] == own_value.shape[0] and \
                    {value.shape[1], own_value.shape[1]} == {2 * self.num_keypoints,
                                                             3 * self.num_keypoints}:
                raise InputChannelMismatchError(
                    f'the checkpoint takes {value.shape[1] // self.num_keypoints} input '
                    f'channels per keypoint, the config {own_value.shape[1] // self.num_keypoints}'
                    ' (3: positions and seen flags, e.g. configs/runningpose_tcn_seen.py; '
                    '2: positions only): use the config the checkpoint was trained with')
            for dim in (0, 1):
                found = _keypoints_from_channels(value.shape[dim], own_value.shape[dim],
                                                 self.num_keypoints)
                if found is not None:
                    raise KeypointCountMismatchError(
                        f'checkpoint layer {key!r} has shape {tuple(value.shape)}, the model '
                        f'{tuple(own_value.shape)}: the checkpoint is for {found} keypoints, '
                        f'the model for {self.num_keypoints} (runningpose19). Convert the '
                        'checkpoint first: python tools/convert_checkpoint.py SRC DST '
                        '--input-order h36m|coco (Human3.6M 17 -> runningpose19 transfer)')


    def add_pred_to_datasample(self, batch_pred_instances, batch_pred_fields,
                               batch_traj_instances, batch_traj_fields, batch_data_samples):
        """MMPose's PoseLifter drops trajectory predictions; keep them as
        ``pred_instances.root_position`` (1, 3), camera frame, metres."""
        samples = super().add_pred_to_datasample(batch_pred_instances, batch_pred_fields,
                                                 batch_traj_instances, batch_traj_fields,
                                                 batch_data_samples)
        for sample, traj in zip(samples, batch_traj_instances or []):
            sample.pred_instances.root_position = traj.root_position
        return samples


def _keypoints_from_channels(ckpt_channels: int, model_channels: int,
                             num_keypoints: int) -> Optional[int]:
    """Keypoint count implied by a channel count that differs from the model's."""
    for per_joint in (2, 3):
        if model_channels == per_joint * num_keypoints and ckpt_channels % per_joint == 0 \
                and ckpt_channels != model_channels:
            return ckpt_channels // per_joint
    return None
