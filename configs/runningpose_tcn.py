# VideoPose3D-style temporal convolutional lifting of the 19 runningpose keypoints,
# 81-frame receptive field (kernel sizes 3x3x3x3). Trained on windows with strided
# convolutions; the same weights run dilated over whole clips at inference.
# Variants: runningpose_tcn_27frm.py, runningpose_tcn_243frm.py.
_base_ = ['./_base_/default_runtime.py']

num_keypoints = 19
seq_len = 81
# frame rate of the training data (tools/dataset_converters/build_runningpose.py --fps):
# the dataset refuses files of another rate and checkpoints record it
fps = 50.0
kernel_sizes = (3, 3, 3, 3)
channels = 512

train_cfg = dict(max_epochs=60, val_interval=5)
# strided training on windows; validation and test run the same weights dilated over
# each whole sequence (every frame, true context, one pass per sequence)
val_cfg = dict(type='WholeSequenceValLoop')
test_cfg = dict(type='WholeSequenceTestLoop')
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-3))
param_scheduler = [dict(type='ExponentialLR', gamma=0.96, end=60, by_epoch=True)]
auto_scale_lr = dict(base_batch_size=256)

default_hooks = dict(
    checkpoint=dict(type='CheckpointHook', save_best='MPJPE', rule='less', max_keep_ckpts=1),
    logger=dict(type='LoggerHook', interval=50),
)

# 2D pixels -> (x - w/2) / (w/2); 3D target relative to the pelvis (metres)
codec = dict(
    type='VideoPoseLifting',
    num_keypoints=num_keypoints,
    zero_center=True,
    root_index=0,
    remove_root=False)

model = dict(
    type='RunningPoseLifter',
    num_keypoints=num_keypoints,
    backbone=dict(
        type='TCN',
        in_channels=2 * num_keypoints,
        stem_channels=channels,
        num_blocks=len(kernel_sizes) - 1,
        kernel_sizes=kernel_sizes,
        dropout=0.25,
        use_stride_conv=True,
    ),
    head=dict(
        type='TemporalRegressionHead',
        in_channels=channels,
        num_joints=num_keypoints,
        loss=dict(type='VisibleMPJPELoss'),
        decoder=codec,
    ))

dataset_type = 'RunningPoseDataset'
data_root = 'data/runningpose/'
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

# num_workers=0: on a 2-core CPU, shipping 256 PoseDataSamples per batch between
# processes costs more than preparing them (measured 1.24 s/iter with workers vs 0.57 s
# without); raise it on machines with cores to spare
train_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        ann_file='train.npz',
        seq_len=seq_len,
        fps=fps,
        causal=False,
        pad_video_seq=True,
        data_root=data_root,
        pipeline=train_pipeline,
    ))
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type=dataset_type,
        ann_file='val.npz',
        seq_len=seq_len,
        fps=fps,
        causal=False,
        pad_video_seq=True,
        data_root=data_root,
        pipeline=val_pipeline,
        test_mode=True,
    ))
# the test split, read like the validation one
test_dataloader = {**val_dataloader,
                   'dataset': {**val_dataloader['dataset'], 'ann_file': 'test.npz'}}

val_evaluator = dict(type='RunningPoseMetric')
test_evaluator = val_evaluator
