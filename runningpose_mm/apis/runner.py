import os.path as osp
from typing import List, Optional

from mmengine.config import Config, DictAction
from mmengine.runner import Runner


def load_config(config: str, cfg_options: Optional[List[str]] = None) -> Config:
    """Read a config and apply ``KEY=VALUE`` overrides (as ``--cfg-options``)."""
    if not osp.isfile(config):
        raise FileNotFoundError(f'config file {config} does not exist')
    cfg = Config.fromfile(config)
    if cfg_options:
        parser_action = DictAction(option_strings=[], dest='cfg_options')
        overrides = {}
        for item in cfg_options:
            key, sep, value = item.partition('=')
            if not sep:
                raise ValueError(f'--cfg-options expects KEY=VALUE, got {item!r}')
            overrides[key] = parser_action._parse_iterable(value)
        cfg.merge_from_dict(overrides)
    return cfg


def build_runner(config: str,
                 work_dir: Optional[str] = None,
                 cfg_options: Optional[List[str]] = None,
                 launcher: str = 'none',
                 resume: Optional[str] = None,
                 load_from: Optional[str] = None) -> Runner:
    """The MMEngine Runner for a config, as MMPose's tools set it up.

    Args:
        config (str): config file.
        work_dir (str, optional): logs/checkpoints; default ``work_dirs/<config name>``.
        cfg_options (list[str], optional): ``KEY=VALUE`` overrides.
        launcher (str): ``none``, ``pytorch`` (torchrun), ``slurm`` or ``mpi``.
        resume (str, optional): ``'auto'`` (latest in work_dir) or a checkpoint path.
        load_from (str, optional): weights to load before training or testing.
    """
    cfg = load_config(config, cfg_options)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('work_dirs', osp.splitext(osp.basename(config))[0])
    if resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif resume is not None:
        cfg.resume = True
        cfg.load_from = resume
    if load_from is not None:
        cfg.load_from = load_from
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
