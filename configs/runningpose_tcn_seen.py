# The released lifter's network with a "seen" flag per keypoint as a third input channel
# (runningpose_mm/models/codecs.py): 1 where the 2D detector's score is above 0.3, 0 where
# the keypoint is a guess (the far arm hidden behind the body in a side view) or a gap
# filled by interpolation. Training views with detector-like 2D score their far-side
# limbs 0.02-0.3, clean views score every keypoint 1. Measured with the released recipe
# (README, "Further levers"): not adopted yet.
_base_ = ['./runningpose_tcn_released.py']

num_keypoints = 19
confidence_threshold = 0.3
codec = dict(
    type='RunningPoseLifting',
    num_keypoints=num_keypoints,
    zero_center=True,
    root_index=0,
    remove_root=False,
    confidence_threshold=confidence_threshold)

model = dict(
    backbone=dict(in_channels=3 * num_keypoints),
    head=dict(decoder=codec))

meta_keys = ('id', 'category_id', 'target_img_path', 'flip_indices', 'target_root',
             'sequence_name', 'target_frame')
train_pipeline = [
    dict(type='RandomFlipSequence', flip_prob=0.5),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
val_pipeline = [
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=meta_keys),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))
