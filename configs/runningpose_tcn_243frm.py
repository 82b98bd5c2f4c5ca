# runningpose_tcn with a 243-frame receptive field (kernel sizes (3, 3, 3, 3, 3)).
_base_ = ['./runningpose_tcn.py']

seq_len = 243
kernel_sizes = (3, 3, 3, 3, 3)

model = dict(backbone=dict(num_blocks=len(kernel_sizes) - 1, kernel_sizes=kernel_sizes))
train_dataloader = dict(dataset=dict(seq_len=seq_len))
val_dataloader = dict(dataset=dict(seq_len=seq_len))
test_dataloader = dict(dataset=dict(seq_len=seq_len))
