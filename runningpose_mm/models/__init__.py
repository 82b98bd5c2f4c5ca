from .codecs import RunningPoseLifting
from .lifter_meta import LifterMetaError, LifterMetaHook, read_lifter_meta
from .losses import VisibleMPJPELoss
from .pose_lifter import InputChannelMismatchError, KeypointCountMismatchError, RunningPoseLifter
from .trajectory_head import RootTrajectoryHead

__all__ = ['RunningPoseLifting', 'LifterMetaError', 'LifterMetaHook', 'read_lifter_meta',
           'VisibleMPJPELoss', 'RunningPoseLifter', 'KeypointCountMismatchError',
           'InputChannelMismatchError', 'RootTrajectoryHead']
