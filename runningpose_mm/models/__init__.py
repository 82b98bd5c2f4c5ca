from .losses import VisibleMPJPELoss
from .pose_lifter import KeypointCountMismatchError, RunningPoseLifter

__all__ = ['VisibleMPJPELoss', 'RunningPoseLifter', 'KeypointCountMismatchError']
