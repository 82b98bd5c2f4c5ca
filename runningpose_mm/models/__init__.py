from .lifter_meta import LifterMetaError, LifterMetaHook, read_lifter_meta
from .losses import VisibleMPJPELoss
from .pose_lifter import KeypointCountMismatchError, RunningPoseLifter
from .trajectory_head import RootTrajectoryHead

__all__ = ['LifterMetaError', 'LifterMetaHook', 'read_lifter_meta', 'VisibleMPJPELoss',
           'RunningPoseLifter', 'KeypointCountMismatchError',
           'RootTrajectoryHead']
