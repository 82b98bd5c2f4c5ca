# Runtime shared by every runningpose_mm config: MMPose's default runtime, plus the
# plugin import that registers our datasets, models, metrics and visualizers.
_base_ = ['mmpose::_base_/default_runtime.py']

custom_imports = dict(imports=['runningpose_mm'], allow_failed_imports=False)
default_scope = 'mmpose'

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='Pose3dLocalVisualizer', vis_backends=vis_backends, name='visualizer')

# every checkpoint records the frame rate and keypoints its lifter was trained on;
# distributed processes average their BatchNorm statistics after each epoch (MMPose's
# default, which a custom_hooks list replaces), so that the checkpoint and every
# process's share of the validation use the same model
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='LifterMetaHook')]
