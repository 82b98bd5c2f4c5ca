import torch
from torch import Tensor, nn

from mmpose.registry import MODELS


@MODELS.register_module()
class VisibleMPJPELoss(nn.Module):
    """Mean per-joint position error over visible joints only.

    MMPose's ``MPJPELoss`` multiplies by the weight but averages over every joint, so a
    sample with missing joints pulls the remaining ones' gradient down, and a missing
    target stored as NaN poisons the batch. Here missing joints (weight 0) neither
    contribute nor dilute, and their targets are never read.

    Args:
        loss_weight (float): scale of the loss. Default: 1.0.

    Shapes: ``output`` and ``target`` (..., K, C); ``target_weight`` broadcastable to
    (..., K) or (..., K, 1).
    """

    def __init__(self, loss_weight: float = 1.0):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, output: Tensor, target: Tensor, target_weight: Tensor = None) -> Tensor:
        if target_weight is None:
            target_weight = torch.ones_like(output[..., 0])
        weight = target_weight
        if weight.dim() == output.dim():  # (..., K, 1)
            weight = weight[..., 0]
        while weight.dim() < output.dim() - 1:  # (B, K) against (B, T, K, C)
            weight = weight.unsqueeze(1)
        weight = weight.expand(output.shape[:-1]).to(output.dtype)
        valid = (weight > 0) & torch.isfinite(target).all(dim=-1)
        # read targets only where valid: NaN * 0 would still be NaN
        safe_target = torch.where(valid[..., None], target, output.detach())
        error = torch.linalg.norm(output - safe_target, dim=-1)
        weight = weight * valid
        return self.loss_weight * (error * weight).sum() / weight.sum().clamp(min=1.0)
