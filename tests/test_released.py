"""The released lifter shipped in the package: the default everywhere, loadable as
float32 from its compact file (int8 kernels), and reproducing its model card's held-out figure
(so a wrong file or a broken loader fails)."""
import os.path as osp

import numpy as np
import pytest
import torch

import runningpose_mm  # noqa: F401
from runningpose_mm.apis.inferencer import RunningPoseInferencer
from runningpose_mm.apis.lifting import MEMBERS_KEY, load_lifter
from runningpose_mm.apis.released import RELEASED_WEIGHTS, held_out_check, released_lifter
from runningpose_mm.apis.weights import unpack_state_dict
from runningpose_mm.skeleton import runningpose19

from conftest import SHARED_DATA, shared_file


def test_the_released_lifter_is_shipped_and_is_the_default():
    config, weights = released_lifter()
    assert osp.isfile(config) and weights == RELEASED_WEIGHTS
    assert osp.getsize(weights) < 12e6  # a few MB: int8 kernels
    checkpoint = torch.load(weights, map_location='cpu', weights_only=False)
    members = checkpoint[MEMBERS_KEY]
    assert len(members) == checkpoint['meta']['released']['members'] >= 1
    kernels = [v for v in members[0].values() if isinstance(v, dict)]
    assert kernels and all(v['int8'].dtype == torch.int8 for v in kernels)
    meta = checkpoint['meta']['runningpose']
    assert meta['keypoints'] == 'runningpose19' and meta['fps'] > 0
    assert meta['keypoint_names'] == list(runningpose19().names)
    lifter = load_lifter()
    assert lifter.fps == meta['fps'] and lifter.receptive_field == 81
    assert len(lifter.members) == len(members)
    assert all(p.dtype == torch.float32 for p in lifter.model.parameters())
    inferencer = RunningPoseInferencer(pose2d=None)
    assert inferencer.model_fps == meta['fps']
    for model, packed in zip(inferencer.lifter.members, members):
        name = next(k for k, v in packed.items() if isinstance(v, dict))  # a kernel
        np.testing.assert_allclose(model.state_dict()[name].numpy(),
                                   unpack_state_dict(packed)[name].numpy())


def test_the_shipped_weights_reproduce_their_held_out_figure():
    shared_file('qualisys_tindra', 'Tindra2.txt')
    released = torch.load(RELEASED_WEIGHTS, map_location='cpu',
                          weights_only=False)['meta']['released']
    stated = released['held_out_check']
    measured = held_out_check(load_lifter(), SHARED_DATA, stated['cameras'], stated['seed'])
    assert measured['frames'] == stated['frames']
    assert measured['mpjpe_mm'] == pytest.approx(stated['mpjpe_mm'], abs=0.5)
    assert measured['p_mpjpe_mm'] == pytest.approx(stated['p_mpjpe_mm'], abs=0.5)


def test_the_shipped_model_card_is_the_one_its_weights_give():
    """MODEL_CARD.md is generated from the weights file's meta (recipe, figures): a card
    edited by hand, or left behind by new weights or a new card layout, fails here."""
    from runningpose_mm.apis.released import model_card_text
    from runningpose_mm.models.lifter_meta import META_KEY
    meta = torch.load(RELEASED_WEIGHTS, map_location='cpu', weights_only=False)['meta']
    with open(osp.join(osp.dirname(RELEASED_WEIGHTS), 'MODEL_CARD.md')) as f:
        shipped = f.read()
    assert shipped == model_card_text(meta['released'], meta[META_KEY])
