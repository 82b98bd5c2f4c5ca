"""Human3.6M (17 keypoints) lifting checkpoints -> runningpose19 (17 + 2 forefeet).

Two sources are understood:

- the original VideoPose3D code (facebookresearch/VideoPose3D): a dict whose
  ``model_pos`` is the state dict of ``TemporalModel``/``TemporalModelOptimized1f``
  (``expand_conv``, ``expand_bn``, ``layers_conv.i``, ``layers_bn.i``, ``shrink``);
- MMPose's ``video_pose_lift`` checkpoints: ``state_dict`` of a ``PoseLifter`` with a
  ``TCN`` backbone and ``TemporalRegressionHead`` (``backbone.expand_conv.conv`` ...,
  ``head.conv``).

Both output H36M's 17 joints in the same order as runningpose19's first 17, with the 2D
input layout channel = 2 x joint + axis. The input order is the user's to state
(``input_order``), because the file does not say it: ``'h36m'`` (the same 17 joints as the
output: VideoPose3D's CPN and ground-truth models, MMPose's video_pose_lift) or ``'coco'``
(VideoPose3D's ``pretrained_h36m_detectron_coco.bin`` takes COCO-ordered 2D: nose, eyes,
ears, shoulders, elbows, wrists, hips, knees, ankles). Transfer:

- input layer (2 x 17 -> 2 x 19 channels): each source joint's weights go to its
  runningpose19 channel (COCO: the five face points, which runningpose19 does not have,
  all onto ``head`` = mid-ears, so the converted model computes what the source did with
  its face points at the head; root, spine, thorax and neck base get zero weights); then
  each ankle's weights are split in half between the ankle and its new forefoot channel,
  so with the forefoot input equal to the ankle the layer computes exactly what it did
  before; training then separates them;
- output layer (3 x 17 -> 3 x 19 rows): the forefoot rows start as copies of the ankle rows;
- everything else is copied unchanged.
"""
from collections import OrderedDict
from typing import Dict, Tuple

import torch

from ..skeleton import runningpose19

H36M_NUM_KEYPOINTS = 17
#: VideoPose3D's COCO-input model: its 17 input joints, in order, as runningpose19 joints
#: (the face points, absent from runningpose19, onto the head)
COCO_INPUT_AS_RUNNINGPOSE19 = (
    'head', 'head', 'head', 'head', 'head',                  # nose, eyes, ears
    'left_shoulder', 'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist',
    'right_wrist', 'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle',
    'right_ankle')
INPUT_ORDERS = ('h36m', 'coco')


def _forefoot_from_ankle():
    """(ankle index, forefoot index) in runningpose19, per side."""
    sk = runningpose19()
    return tuple((sk.index(f'{side}_ankle'), sk.index(f'{side}_forefoot'))
                 for side in ('left', 'right'))


class CheckpointFormatError(ValueError):
    """A checkpoint whose layout is not one this converter knows."""


def detect_format(checkpoint: dict) -> str:
    """'videopose3d', 'mmpose' or raise CheckpointFormatError."""
    if isinstance(checkpoint, dict) and 'model_pos' in checkpoint:
        return 'videopose3d'
    state = checkpoint.get('state_dict', checkpoint) if isinstance(checkpoint, dict) else None
    if isinstance(state, dict) and 'backbone.expand_conv.conv.weight' in state:
        return 'mmpose'
    if isinstance(state, dict) and 'expand_conv.weight' in state:
        return 'videopose3d'
    keys = list(state)[:8] if isinstance(state, dict) else type(checkpoint).__name__
    raise CheckpointFormatError(
        'not a VideoPose3D (model_pos: expand_conv, layers_conv, shrink) or MMPose '
        f'video_pose_lift (state_dict: backbone.expand_conv.conv, head.conv) checkpoint; '
        f'found keys {keys}')


def videopose3d_to_mmpose_keys(state: Dict[str, torch.Tensor]) -> 'OrderedDict':
    """Rename a VideoPose3D ``TemporalModel`` state dict to MMPose's TCN + head names."""
    out = OrderedDict()
    for key, value in state.items():
        parts = key.split('.')
        if parts[0] == 'expand_conv':
            new = 'backbone.expand_conv.conv.' + parts[1]
        elif parts[0] == 'expand_bn':
            new = 'backbone.expand_conv.bn.' + parts[1]
        elif parts[0] in ('layers_conv', 'layers_bn'):
            index = int(parts[1])
            block, which = index // 2, 'conv1' if index % 2 == 0 else 'conv2'
            layer = 'conv' if parts[0] == 'layers_conv' else 'bn'
            new = f'backbone.tcn_blocks.{block}.{which}.0.{layer}.' + '.'.join(parts[2:])
        elif parts[0] == 'shrink':
            new = 'head.conv.' + parts[1]
        else:
            raise CheckpointFormatError(f'unexpected VideoPose3D key {key!r}')
        out[new] = value
    return out


def architecture(state: Dict[str, torch.Tensor]) -> dict:
    """Channels, kernel sizes and keypoint counts of an MMPose-named TCN state dict."""
    expand = state['backbone.expand_conv.conv.weight']
    kernels = [expand.shape[2]]
    block = 0
    while f'backbone.tcn_blocks.{block}.conv1.0.conv.weight' in state:
        kernels.append(state[f'backbone.tcn_blocks.{block}.conv1.0.conv.weight'].shape[2])
        block += 1
    return dict(stem_channels=int(expand.shape[0]), kernel_sizes=tuple(int(k) for k in kernels),
                in_keypoints=int(expand.shape[1]) // 2,
                out_keypoints=int(state['head.conv.weight'].shape[0]) // 3)


def expand_17_to_19(state: Dict[str, torch.Tensor], input_order: str = 'h36m') -> 'OrderedDict':
    """Grow the input and output layers of an MMPose-named 17-keypoint state dict to 19
    (``input_order``: the source's 2D input joints, 'h36m' or 'coco'; see the module)."""
    if input_order not in INPUT_ORDERS:
        raise CheckpointFormatError(f"input_order must be one of {INPUT_ORDERS}, got "
                                    f"{input_order!r}")
    arch = architecture(state)
    if arch['in_keypoints'] != H36M_NUM_KEYPOINTS or arch['out_keypoints'] != H36M_NUM_KEYPOINTS:
        raise CheckpointFormatError(
            f"expected a 17-keypoint (Human3.6M) model, found {arch['in_keypoints']} input and "
            f"{arch['out_keypoints']} output keypoints")
    out = OrderedDict((k, v.clone()) for k, v in state.items())
    w_in = state['backbone.expand_conv.conv.weight']  # (C, 2*17, k)
    new_in = torch.zeros(w_in.shape[0], 2 * 19, w_in.shape[2], dtype=w_in.dtype)
    if input_order == 'h36m':
        new_in[:, :2 * 17] = w_in
    else:
        sk = runningpose19()
        for source, name in enumerate(COCO_INPUT_AS_RUNNINGPOSE19):
            j = sk.index(name)
            new_in[:, 2 * j:2 * j + 2] += w_in[:, 2 * source:2 * source + 2]
    for ankle, fore in _forefoot_from_ankle():
        half = 0.5 * new_in[:, 2 * ankle:2 * ankle + 2].clone()
        new_in[:, 2 * ankle:2 * ankle + 2] = half
        new_in[:, 2 * fore:2 * fore + 2] = half
    out['backbone.expand_conv.conv.weight'] = new_in
    for name in ('weight', 'bias'):
        key = f'head.conv.{name}'
        if key not in state:
            continue
        w = state[key]  # (3*17, ...) rows
        new = torch.zeros((3 * 19, ) + tuple(w.shape[1:]), dtype=w.dtype)
        new[:3 * 17] = w
        for ankle, fore in _forefoot_from_ankle():
            new[3 * fore:3 * fore + 3] = w[3 * ankle:3 * ankle + 3]
        out[key] = new
    return out


def convert_checkpoint(checkpoint: dict, input_order: str = 'h36m') -> Tuple[dict, dict]:
    """Convert a loaded 17-keypoint checkpoint (either format) to a runningpose19 one;
    ``input_order`` is the source's 2D input order ('h36m' or 'coco').

    Returns:
        tuple: the MMEngine-style checkpoint (``state_dict`` + ``meta``) and the source
        architecture (``stem_channels``, ``kernel_sizes``) the config must match.
    """
    fmt = detect_format(checkpoint)
    if fmt == 'videopose3d':
        state = checkpoint['model_pos'] if 'model_pos' in checkpoint else checkpoint
        state = videopose3d_to_mmpose_keys(state)
    else:
        state = checkpoint.get('state_dict', checkpoint)
        unexpected = [k for k in state if not k.startswith(('backbone.', 'head.'))]
        if unexpected:
            # trajectory branches and the like are not transferred
            state = OrderedDict((k, v) for k, v in state.items()
                                if k.startswith(('backbone.', 'head.')))
    arch = architecture(state)
    converted = expand_17_to_19(state, input_order)
    meta = dict(converted_from=fmt, source_keypoints=17, source_input_order=input_order,
                keypoints=list(runningpose19().names), **arch)
    return dict(state_dict=converted, meta=meta), arch
