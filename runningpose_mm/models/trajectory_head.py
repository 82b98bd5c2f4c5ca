from typing import Sequence, Tuple

import numpy as np
import torch
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import MODELS


@MODELS.register_module()
class RootTrajectoryHead(BaseHead):
    """Camera-frame root (pelvis) position from a temporal feature, as VideoPose3D's
    trajectory model.

    Speed, step length and vertical oscillation need where the runner is, not only the
    root-relative pose. MMPose's ``TrajectoryRegressionHead`` compares its output with
    the root-relative pose target (all zeros at the root), so it cannot learn this; this
    head regresses the codec's ``target_root`` (the root joint of the target frame in the
    camera frame, metres), with VideoPose3D's 1/depth weighting: a far runner's depth
    error matters less in its image.

    Args:
        in_channels (int): feature channels of the trajectory backbone.
        loss_weight (float): scale of the trajectory loss. Default: 1.0.
        init_cfg: see ``BaseHead``.
    """

    def __init__(self, in_channels: int, loss_weight: float = 1.0, init_cfg=None):
        super().__init__(init_cfg)
        self.in_channels = in_channels
        self.loss_weight = loss_weight
        self.conv = nn.Conv1d(in_channels, 3, 1)

    def forward(self, feats: Tuple[Tensor]) -> Tensor:
        """(B, C, T') features -> (B, T', 3) root positions (T' = 1 on windows)."""
        return self.conv(feats[-1]).transpose(1, 2)

    @staticmethod
    def _targets(data_samples, device) -> Tensor:
        roots = [np.asarray(d.metainfo['target_root'], np.float32).reshape(-1, 3)[-1]
                 for d in data_samples]
        return torch.from_numpy(np.stack(roots)).to(device)

    def loss(self, feats: Tuple[Tensor], data_samples, train_cfg=None) -> dict:
        pred = self.forward(feats)[:, -1]  # (B, 3)
        target = self._targets(data_samples, pred.device)
        weight = 1.0 / target[:, 2].abs().clamp(min=0.1)
        error = torch.linalg.norm(pred - target, dim=-1)
        loss = self.loss_weight * (weight * error).sum() / weight.sum()
        return dict(loss_traj=loss, mrpe=error.mean().detach())

    def predict(self, feats: Tuple[Tensor], data_samples, test_cfg=None) -> Sequence[InstanceData]:
        pred = self.forward(feats)[:, -1].detach().cpu().numpy()
        return [InstanceData(root_position=p[None]) for p in pred]
