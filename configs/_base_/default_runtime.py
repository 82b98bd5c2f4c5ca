# Runtime shared by every runningpose_mm config: MMPose's default runtime, plus the
# plugin import that registers our datasets, models, metrics and visualizers.
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['runningpose_mm'], allow_failed_imports=False)
default_scope = 'mmpose'

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='Pose3dLocalVisualizer', vis_backends=vis_backends, name='visualizer')

# every checkpoint records the frame rate and keypoints its lifter was trained on
custom_hooks = [dict(type='LifterMetaHook')]
