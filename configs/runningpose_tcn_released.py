# The released runningpose19 lifter (runningpose_mm/released/, model card beside the
# weights): 81-frame receptive field at 50 fps (1.6 s), 512 channels. Trained by
# tools/train_released.py on the real mocap with full skeletons and synthetic runners
# through many virtual phone-like cameras, half of the views with detector-like 2D
# (jitter, drift, dropouts, left/right swaps, far-side limbs hidden behind the body).
_base_ = ['./runningpose_tcn.py']

# the recipe sets epochs and the learning-rate decay from its time budget
train_cfg = dict(max_epochs=8, val_interval=2)
param_scheduler = [dict(type='ExponentialLR', gamma=0.75, end=8, by_epoch=True)]
