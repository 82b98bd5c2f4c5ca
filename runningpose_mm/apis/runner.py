import json
import os
import os.path as osp
import time
from typing import List, Optional

import torch
import torch.distributed as torch_dist
from mmengine.config import Config, DictAction
from mmengine.hooks import Hook
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
    if launcher != 'none' and not torch.cuda.is_available():
        _prepare_cpu_distributed(cfg, launcher)
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


class TrainingMinutesHook(Hook):
    """Training minutes up to each finished epoch, kept in the JSON file ``path`` (key
    ``minutes_at_epoch``, other keys left as they are), so that a training resumed from
    its last epoch checkpoint reports the time of all its epochs, not only of the last
    run's. Runs after the CheckpointHook: an epoch counts once its checkpoint is saved."""

    priority = 'LOWEST'

    def __init__(self, path: str):
        self.path = path
        self._base = 0.0
        self._start = 0.0
        self.resumed_after = 0  # epochs done before this run (a resumed training)

    def _read(self) -> dict:
        if not osp.isfile(self.path):
            return {}
        with open(self.path) as f:
            return json.load(f)

    def before_train(self, runner) -> None:
        # after a resume runner.epoch is the number of epochs already done
        done = self._read().get('minutes_at_epoch', {})
        self.resumed_after = runner.epoch
        self._base = float(done.get(str(runner.epoch), 0.0))
        self._start = time.perf_counter()

    def after_train_epoch(self, runner) -> None:
        record = self._read()
        minutes = self._base + (time.perf_counter() - self._start) / 60
        record.setdefault('minutes_at_epoch', {})[str(runner.epoch + 1)] = round(minutes, 2)
        with open(self.path, 'w') as f:
            json.dump(record, f, indent=2)

    def minutes(self, runner) -> float:
        """Training minutes of the epochs done so far, resumed ones included."""
        return float(self._read().get('minutes_at_epoch', {}).get(str(runner.epoch), 0.0))


def best_checkpoint(runner: Runner) -> str:
    """The best checkpoint this runner's training saved (MMEngine's CheckpointHook records
    it). Not a glob of the work dir: ``best_MPJPE_epoch_*.pth`` names sort 10 before 9,
    and an earlier run in the same work dir leaves its own best file behind.

    Raises:
        FileNotFoundError: the training saved no best checkpoint (no validation ran).
    """
    path = runner.message_hub.get_info('best_ckpt')
    if not path or not osp.isfile(path):
        raise FileNotFoundError(f'{runner.work_dir}: this training saved no best checkpoint '
                                '(was validation run? save_best needs val_interval <= '
                                'max_epochs)')
    return path


def finish_distributed() -> None:
    """End a distributed run cleanly: every rank waits for the others, then the process
    group is destroyed before the interpreter exits. Left to interpreter teardown, gloo's
    threads can be destroyed while running ("terminate called without an active
    exception", SIGABRT) and torchrun reports the finished run as failed. No-op when not
    distributed.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()


def _prepare_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Distributed training on CPUs (gloo).

    MMEngine's launchers call ``torch.cuda.set_device`` and wrap the model with
    ``device_ids=[local_rank]``, both of which fail without a GPU. Here the process group
    is created with gloo from the launcher's environment (torchrun: RANK, WORLD_SIZE,
    MASTER_ADDR/PORT; slurm: SLURM_PROCID, SLURM_NTASKS, and MASTER_ADDR/PORT or the
    first node), the Runner then finds it initialised, and DDP gets ``device_ids=None``.
    """
    if launcher == 'slurm':
        os.environ.setdefault('RANK', os.environ['SLURM_PROCID'])
        os.environ.setdefault('WORLD_SIZE', os.environ['SLURM_NTASKS'])
        os.environ.setdefault('LOCAL_RANK', os.environ.get('SLURM_LOCALID', '0'))
        os.environ.setdefault('MASTER_PORT', '29500')
        if 'MASTER_ADDR' not in os.environ:
            import subprocess
            nodes = os.environ['SLURM_NODELIST']
            os.environ['MASTER_ADDR'] = subprocess.getoutput(
                f'scontrol show hostname {nodes} | head -n1')
    elif launcher != 'pytorch':
        raise ValueError(f'launcher {launcher!r} is not supported on CPU-only machines; '
                         'use pytorch (torchrun) or slurm')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    cfg.env_cfg = dict(cfg.get('env_cfg', {}), dist_cfg=dict(backend='gloo'))
    cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None)
