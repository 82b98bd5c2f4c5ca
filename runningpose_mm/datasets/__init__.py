from .runningpose_dataset import RunningPoseDataset, load_annotation_file
from .transforms import RandomFlipSequence

__all__ = ['RunningPoseDataset', 'RandomFlipSequence', 'load_annotation_file']
