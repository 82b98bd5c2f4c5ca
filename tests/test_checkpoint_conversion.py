"""17-keypoint Human3.6M checkpoints (VideoPose3D and MMPose formats) -> runningpose19."""
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from torch import nn

import runningpose_mm  # noqa: F401
from runningpose_mm.apis.lifting import WholeSequenceLifter
from runningpose_mm.models.checkpoint_conversion import (CheckpointFormatError,
                                                          convert_checkpoint)
from mmpose.registry import MODELS

from conftest import REPO

FILTERS = (3, 3, 3)
CHANNELS = 64


class VideoPose3DTemporalModel(nn.Module):
    """The original facebookresearch/VideoPose3D ``TemporalModel`` (eval behaviour),
    re-typed here so the test has the source network and its exact key names."""

    def __init__(self, joints_in=17, joints_out=17, filter_widths=FILTERS, channels=CHANNELS):
        super().__init__()
        self.joints_out = joints_out
        self.expand_conv = nn.Conv1d(joints_in * 2, channels, filter_widths[0], bias=False)
        self.expand_bn = nn.BatchNorm1d(channels, momentum=0.1)
        self.pad = [filter_widths[0] // 2]
        convs, bns = [], []
        dilation = filter_widths[0]
        for w in filter_widths[1:]:
            self.pad.append((w - 1) * dilation // 2)
            convs.append(nn.Conv1d(channels, channels, w, dilation=dilation, bias=False))
            bns.append(nn.BatchNorm1d(channels, momentum=0.1))
            convs.append(nn.Conv1d(channels, channels, 1, bias=False))
            bns.append(nn.BatchNorm1d(channels, momentum=0.1))
            dilation *= w
        self.layers_conv = nn.ModuleList(convs)
        self.layers_bn = nn.ModuleList(bns)
        self.shrink = nn.Conv1d(channels, joints_out * 3, 1)

    def forward(self, x):  # (N, T, J, 2) -> (N, T', J, 3)
        n, t = x.shape[:2]
        x = x.view(n, t, -1).permute(0, 2, 1)
        x = torch.relu(self.expand_bn(self.expand_conv(x)))
        for i in range(len(self.pad) - 1):
            pad = self.pad[i + 1]
            res = x[:, :, pad:x.shape[2] - pad]
            x = torch.relu(self.layers_bn[2 * i](self.layers_conv[2 * i](x)))
            x = res + torch.relu(self.layers_bn[2 * i + 1](self.layers_conv[2 * i + 1](x)))
        x = self.shrink(x).permute(0, 2, 1)
        return x.reshape(n, -1, self.joints_out, 3)


def _randomize_bn(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    for m in module.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=g) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=g) * 0.1)


def _model_cfg(num_keypoints):
    return dict(
        type='RunningPoseLifter' if num_keypoints == 19 else 'PoseLifter',
        backbone=dict(type='TCN', in_channels=2 * num_keypoints, stem_channels=CHANNELS,
                      num_blocks=len(FILTERS) - 1, kernel_sizes=FILTERS, dropout=0.25,
                      use_stride_conv=True),
        head=dict(type='TemporalRegressionHead', in_channels=CHANNELS,
                  num_joints=num_keypoints, loss=dict(type='MPJPELoss'),
                  decoder=dict(type='VideoPoseLifting', num_keypoints=num_keypoints)),
        **(dict(num_keypoints=19) if num_keypoints == 19 else {}))


def _inputs_with_feet_at_ankles(seed=1, frames=40):
    rng = np.random.default_rng(seed)
    x17 = rng.normal(0, 0.3, (frames, 17, 2)).astype(np.float32)
    x19 = np.concatenate([x17, x17[:, [6, 3]]], axis=1)  # forefeet = left, right ankle
    return x17, x19


def _check_transfer(converted_path, source_outputs, x19):
    init_default_scope('mmpose')
    ckpt = torch.load(converted_path, map_location='cpu', weights_only=False)
    lifter = WholeSequenceLifter(_model_cfg(19), ckpt['state_dict'])
    out19 = lifter.lift_normalized(x19)
    half = (np.prod(FILTERS) - 1) // 2
    # the source saw no padding: compare the frames it produced
    np.testing.assert_allclose(out19[half:-half, :17], source_outputs, atol=1e-4)
    np.testing.assert_allclose(out19[:, 17], out19[:, 6], atol=1e-5)  # left forefoot = ankle
    np.testing.assert_allclose(out19[:, 18], out19[:, 3], atol=1e-5)


def _run_tool(src, dst, order='h36m'):
    out = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'convert_checkpoint.py'),
                          str(src), str(dst), '--input-order', order], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout


def test_original_videopose3d_checkpoint_transfers_exactly(tmp_path):
    torch.manual_seed(0)
    source = VideoPose3DTemporalModel()
    _randomize_bn(source)
    source.eval()
    x17, x19 = _inputs_with_feet_at_ankles()
    with torch.no_grad():
        expected = source(torch.from_numpy(x17)[None])[0].numpy()
    src = tmp_path / 'pretrained_h36m.bin'
    torch.save(dict(epoch=80, lr=1e-4, model_pos=source.state_dict()), src)
    stdout = _run_tool(src, tmp_path / 'rp19.pth')
    assert 'videopose3d' in stdout and f'{CHANNELS} channels' in stdout
    _check_transfer(tmp_path / 'rp19.pth', expected, x19)


def test_mmpose_video_pose_lift_checkpoint_transfers_exactly(tmp_path):
    init_default_scope('mmpose')
    torch.manual_seed(1)
    source = MODELS.build(_model_cfg(17))
    _randomize_bn(source, seed=2)
    source.eval()
    x17, x19 = _inputs_with_feet_at_ankles(seed=3)
    with torch.no_grad():
        dilated = WholeSequenceLifter(_model_cfg(17), source.state_dict())
        half = (np.prod(FILTERS) - 1) // 2
        expected = dilated.lift_normalized(x17)[half:-half]
    src = tmp_path / 'mmpose_h36m.pth'
    torch.save(dict(state_dict=source.state_dict(), meta=dict(epoch=160)), src)
    assert 'mmpose' in _run_tool(src, tmp_path / 'rp19.pth')
    _check_transfer(tmp_path / 'rp19.pth', expected, x19)


def test_coco_input_videopose3d_checkpoint_transfers_exactly(tmp_path):
    """VideoPose3D's detectron COCO model takes COCO-ordered 2D: converted with
    --input-order coco, it gives the source's output when the source's face points sit at
    the runningpose19 head; the joints COCO lacks (root, spine, thorax, neck base) are
    ignored. Converted as if it were Human3.6M order, it would not."""
    from runningpose_mm.models.checkpoint_conversion import COCO_INPUT_AS_RUNNINGPOSE19
    from runningpose_mm.skeleton import runningpose19
    sk = runningpose19()
    torch.manual_seed(3)
    source = VideoPose3DTemporalModel()
    _randomize_bn(source, seed=4)
    source.eval()
    rng = np.random.default_rng(5)
    x19 = rng.normal(0, 0.3, (40, 19, 2)).astype(np.float32)
    x19[:, sk.index('left_forefoot')] = x19[:, sk.index('left_ankle')]
    x19[:, sk.index('right_forefoot')] = x19[:, sk.index('right_ankle')]
    x_coco = np.ascontiguousarray(  # the face points at the head
        x19[:, [sk.index(n) for n in COCO_INPUT_AS_RUNNINGPOSE19]])
    with torch.no_grad():
        expected = source(torch.from_numpy(x_coco)[None])[0].numpy()
    src = tmp_path / 'pretrained_h36m_detectron_coco.bin'
    torch.save(dict(epoch=60, model_pos=source.state_dict()), src)
    _run_tool(src, tmp_path / 'coco.pth', order='coco')
    _check_transfer(tmp_path / 'coco.pth', expected, x19)
    _run_tool(src, tmp_path / 'wrong.pth', order='h36m')
    with pytest.raises(AssertionError):
        _check_transfer(tmp_path / 'wrong.pth', expected, x19)
    out = subprocess.run([sys.executable, osp.join(REPO, 'tools', 'convert_checkpoint.py'),
                          str(src), str(tmp_path / 'x.pth')], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2 and '--input-order' in out.stderr


def test_unknown_checkpoint_layout_is_refused():
    with pytest.raises(CheckpointFormatError, match='not a VideoPose3D'):
        convert_checkpoint(dict(state_dict={'encoder.weight': torch.zeros(1)}))
    bad = VideoPose3DTemporalModel(joints_in=19, joints_out=19).state_dict()
    with pytest.raises(CheckpointFormatError, match='expected a 17-keypoint'):
        convert_checkpoint(dict(model_pos=bad))
