"""The released runningpose19 lifter shipped inside the package.

``released/runningpose19_tcn81.pth`` holds the weights in half precision (loaded back to
float32) with their meta: the frame rate and keypoint definition they were trained on,
the recipe and its held-out figures. ``released/MODEL_CARD.md`` says the same for people.
Its config is ``configs/runningpose_tcn_released.py``.
"""
import os
import os.path as osp
from typing import Tuple

from ..skeleton import config_dir

RELEASED_DIR = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'released')
RELEASED_WEIGHTS = osp.join(RELEASED_DIR, 'runningpose19_tcn81.pth')
RELEASED_CONFIG_NAME = 'runningpose_tcn_released.py'


class ReleasedLifterMissing(FileNotFoundError):
    """The released weights are not in this installation."""


def released_lifter() -> Tuple[str, str]:
    """(config, weights) of the released lifter."""
    config = osp.join(config_dir(), RELEASED_CONFIG_NAME)
    if not osp.isfile(RELEASED_WEIGHTS):
        raise ReleasedLifterMissing(
            f'the released lifter is not in this installation ({RELEASED_WEIGHTS}); '
            'reinstall runningpose_mm, or pass --lifter-config and --lifter-weights')
    return config, RELEASED_WEIGHTS


def export_released(checkpoint_path: str, config: str, results: dict,
                    out_path: str = RELEASED_WEIGHTS) -> str:
    """Write a trained checkpoint as the released lifter: weights in half precision (a
    few MB), its lifter meta, and the recipe's figures (``results``)."""
    import torch
    from mmengine.runner import CheckpointLoader

    from ..models.lifter_meta import META_KEY
    checkpoint = CheckpointLoader.load_checkpoint(checkpoint_path, map_location='cpu')
    meta = dict(checkpoint.get('meta') or {})
    if META_KEY not in meta:
        raise ValueError(f'{checkpoint_path}: no {META_KEY!r} meta (frame rate, keypoints): '
                         'train with the LifterMetaHook (configs/_base_/default_runtime.py)')
    state = {k: v.half() if v.is_floating_point() else v
             for k, v in checkpoint['state_dict'].items()}
    os.makedirs(osp.dirname(out_path), exist_ok=True)
    torch.save(dict(state_dict=state,
                    meta={META_KEY: meta[META_KEY],
                          'released': dict(config=osp.basename(config), **_plain(results))}),
               out_path)
    return out_path


def _plain(value):
    """JSON-like copy (numbers, strings, lists, dicts) for the checkpoint's meta."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, 'item'):
        return value.item()
    return value
