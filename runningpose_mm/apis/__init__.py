from .inferencer import RunningPoseInferencer, VideoInputError, WeightsUnavailableError
from .keypoint_conversion import NoFootKeypointsError, to_runningpose19
from .lifting import OnlineLifter, WholeSequenceLifter, normalize_keypoints_2d
from .outputs import LiftedSequence, write_all
from .runner import build_runner, load_config
from .video_lifting import fill_2d_gaps, lift_clip, select_main_track

__all__ = ['build_runner', 'load_config', 'WholeSequenceLifter', 'OnlineLifter',
           'normalize_keypoints_2d', 'LiftedSequence', 'write_all', 'lift_clip',
           'fill_2d_gaps', 'select_main_track', 'to_runningpose19', 'NoFootKeypointsError',
           'RunningPoseInferencer', 'VideoInputError', 'WeightsUnavailableError']
