"""The released lifter shipped in the package: the default everywhere, loadable as
float32 from its half-precision file, and reproducing its model card's held-out figure
(so a wrong file or a broken loader fails)."""
import os.path as osp

import numpy as np
import pytest
import torch

import runningpose_mm  # noqa: F401
from runningpose_mm.apis.inferencer import RunningPoseInferencer
from runningpose_mm.apis.lifting import load_lifter
from runningpose_mm.apis.released import RELEASED_WEIGHTS, held_out_check, released_lifter
from runningpose_mm.skeleton import runningpose19

from conftest import SHARED_DATA, shared_file


def test_the_released_lifter_is_shipped_and_is_the_default():
    config, weights = released_lifter()
    assert osp.isfile(config) and weights == RELEASED_WEIGHTS
    assert osp.getsize(weights) < 12e6  # a few MB: half precision
    checkpoint = torch.load(weights, map_location='cpu', weights_only=False)
    assert all(v.dtype == torch.float16 for v in checkpoint['state_dict'].values()
               if v.is_floating_point())
    meta = checkpoint['meta']['runningpose']
    assert meta['keypoints'] == 'runningpose19' and meta['fps'] > 0
    assert meta['keypoint_names'] == list(runningpose19().names)
    lifter = load_lifter()
    assert lifter.fps == meta['fps'] and lifter.receptive_field == 81
    assert all(p.dtype == torch.float32 for p in lifter.model.parameters())
    inferencer = RunningPoseInferencer(pose2d=None)
    assert inferencer.model_fps == meta['fps']
    first = next(iter(checkpoint['state_dict']))
    np.testing.assert_allclose(inferencer.lifter.model.state_dict()[first].numpy(),
                               checkpoint['state_dict'][first].float().numpy())


def test_the_shipped_weights_reproduce_their_held_out_figure():
    shared_file('qualisys_tindra', 'Tindra2.txt')
    released = torch.load(RELEASED_WEIGHTS, map_location='cpu',
                          weights_only=False)['meta']['released']
    stated = released['held_out_check']
    measured = held_out_check(load_lifter(), SHARED_DATA, stated['cameras'], stated['seed'])
    assert measured['frames'] == stated['frames']
    assert measured['mpjpe_mm'] == pytest.approx(stated['mpjpe_mm'], abs=0.5)
    assert measured['p_mpjpe_mm'] == pytest.approx(stated['p_mpjpe_mm'], abs=0.5)
