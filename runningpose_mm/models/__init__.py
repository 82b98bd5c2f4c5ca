from .losses import VisibleMPJPELoss
from .pose_lifter import KeypointCountMismatchError, RunningPoseLifter
from .trajectory_head import RootTrajectoryHead

__all__ = ['VisibleMPJPELoss', 'RunningPoseLifter', 'KeypointCountMismatchError',
           'RootTrajectoryHead']
