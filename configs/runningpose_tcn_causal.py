# runningpose_tcn for live use: a causal TCN (each output sees only the past 81 frames),
# trained with the target at the end of each window. Use with
# runningpose_mm.apis.lifting.OnlineLifter frame by frame, or whole clips as usual.
_base_ = ['./runningpose_tcn.py']

model = dict(backbone=dict(causal=True))
train_dataloader = dict(dataset=dict(causal=True))
val_dataloader = dict(dataset=dict(causal=True))
