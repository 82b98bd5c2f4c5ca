"""What a lifter was trained on travels with its weights.

A lifter is only right for inputs at the frame rate it was trained at, for keypoints
that mean what its training keypoints meant and, for lifters that take seen flags
(``codecs``), for the score threshold that made them. ``LifterMetaHook`` writes these
into every checkpoint's ``meta`` (from the training dataset and the model config), and
``read_lifter_meta`` checks them when the weights are used.
"""
from typing import Optional

from mmengine.hooks import Hook

from mmpose.registry import HOOKS

from .codecs import confidence_threshold
from ..skeleton import runningpose19

META_KEY = 'runningpose'


class LifterMetaError(ValueError):
    """A lifter checkpoint whose frame rate or keypoints do not fit what is asked."""


def lifter_meta(fps: float, seen_threshold: Optional[float] = None) -> dict:
    """The meta a runningpose19 lifter trained at ``fps`` carries (and the score threshold
    of its seen flags, if it takes them)."""
    sk = runningpose19()
    meta = dict(fps=float(fps), keypoints='runningpose19', keypoint_names=list(sk.names),
                forefoot_fraction=sk.forefoot_fraction)
    if seen_threshold is not None:
        meta['confidence_threshold'] = float(seen_threshold)
    return meta


@HOOKS.register_module()
class LifterMetaHook(Hook):
    """Write the training data's frame rate and keypoint definition into checkpoints
    (``checkpoint['meta']['runningpose']``)."""

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        dataset = runner.train_dataloader.dataset
        fps = getattr(dataset, 'fps', None)
        if fps is None:
            raise LifterMetaError('the training dataset has no frame rate (fps): cannot '
                                  'record what the lifter was trained at')
        checkpoint.setdefault('meta', {})[META_KEY] = lifter_meta(
            fps, confidence_threshold(runner.cfg.model))


def read_lifter_meta(checkpoint: dict, source: str, config_fps: Optional[float] = None,
                     requested_fps: Optional[float] = None,
                     config_threshold: Optional[float] = None) -> dict:
    """The lifter meta of a loaded checkpoint, checked.

    Args:
        checkpoint (dict): the loaded checkpoint.
        source (str): its path (for messages).
        config_fps (float, optional): the rate the config's dataset declares.
        requested_fps (float, optional): a rate the caller asks for.
        config_threshold (float, optional): the seen-flag threshold of the config's
            model (None: positions only). Checked where the checkpoint records one.

    Returns:
        dict: ``fps``, ``keypoints``, ... (see ``lifter_meta``).

    Raises:
        LifterMetaError: no frame rate anywhere, another keypoint definition, or rates
            that disagree.
    """
    meta = dict((checkpoint.get('meta') or {}).get(META_KEY) or {})
    if not meta:
        if config_fps is None:
            raise LifterMetaError(
                f'{source}: the checkpoint does not say at which frame rate its lifter was '
                'trained (trained before runningpose_mm recorded it) and the config gives '
                'no fps: set fps in the config\'s dataset')
        meta = lifter_meta(config_fps)
    sk = runningpose19()
    names = meta.get('keypoint_names')
    if meta.get('keypoints') != 'runningpose19' or (names and list(names) != list(sk.names)):
        raise LifterMetaError(f'{source}: the lifter was trained on {meta.get("keypoints")!r} '
                              f'keypoints, not runningpose19 as defined here')
    fps = float(meta['fps'])
    for what, rate in (('the config', config_fps), ('the caller', requested_fps)):
        if rate is not None and abs(float(rate) - fps) > 1e-6:
            raise LifterMetaError(f'{source}: the lifter was trained at {fps:g} fps, but '
                                  f'{what} asks for {float(rate):g} fps')
    recorded = meta.get('confidence_threshold')
    if recorded is not None and (config_threshold is None or
                                 abs(float(recorded) - float(config_threshold)) > 1e-9):
        raise LifterMetaError(f'{source}: the lifter was trained with seen flags at score '
                              f'threshold {float(recorded):g}, the config '
                              + ('takes positions only' if config_threshold is None else
                                 f'sets {float(config_threshold):g}'))
    return meta
