# runningpose_tcn plus VideoPose3D's root-trajectory branch: a second TCN (same shape as
# the pose TCN: 81 frames, 512 channels, 2 x 19 inputs) regresses the pelvis position in
# the camera frame (metres), so speed, step length and vertical oscillation can be
# measured. Evaluation adds MRPE (mean root position error).
_base_ = ['./runningpose_tcn.py']

model = dict(
    traj_backbone=dict(
        type='TCN',
        in_channels=2 * 19,
        stem_channels=512,
        num_blocks=3,
        kernel_sizes=(3, 3, 3, 3),
        dropout=0.25,
        use_stride_conv=True,
    ),
    traj_head=dict(type='RootTrajectoryHead', in_channels=512),
)
