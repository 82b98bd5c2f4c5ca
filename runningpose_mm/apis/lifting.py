"""Whole-sequence lifting: the trained (strided) TCN run dilated over a clip in one pass.

Strided and dilated TCNs share their weights (VideoPose3D): training uses strided
convolutions on windows, inference runs the dilated network over the whole clip with
edge padding, so every output frame sees its true past and future context. MMPose's 3D
inferencer instead lifts each frame's window separately.
"""
import copy
from typing import Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.registry import DefaultScope

from mmpose.registry import MODELS

from .weights import resolve_weights, unpack_state_dict
from ..models.codecs import confidence_threshold, lifter_inputs
from ..skeleton import runningpose19


def normalize_keypoints_2d(keypoints: np.ndarray, image_size: Tuple[int, int]) -> np.ndarray:
    """Pixels -> the lifter's input space, exactly as in training:
    ``(x - (w/2, h/2)) / (max(w, h) / 2)``.

    The scale is the image's longer side (MMPose's ``VideoPoseLifting`` divides by half
    the width; the dataset hands it a square canvas, see
    ``RunningPoseDataset.get_data_info``): a portrait phone video then gives the same
    input as a landscape one of the same runner, instead of coordinates 1.8 times larger
    that a lifter rarely sees. For landscape images the two are identical.

    Args:
        keypoints (np.ndarray): (T, K, 2) pixels.
        image_size (tuple): (w, h) in pixels.
    """
    w, h = image_size
    centre = np.array([0.5 * w, 0.5 * h], dtype=np.float32)
    return (np.asarray(keypoints, np.float32) - centre) / np.float32(0.5 * max(w, h))


def receptive_field(backbone_cfg: dict) -> int:
    """Frames one output of a TCN backbone sees (the product of its kernel sizes)."""
    return int(np.prod(backbone_cfg['kernel_sizes']))


class WholeSequenceLifter:
    """Lift whole 2D sequences with a (strided-trained) TCN lifter, dilated, in one pass.

    Args:
        model_cfg (dict): the lifter's model config (``RunningPoseLifter`` + ``TCN``).
        state_dict (dict, optional): weights (of the strided or dilated model: they have
            the same names and shapes).
        device (str): torch device. Default: 'cpu'.
        chunk_frames (int): output frames per forward pass; longer clips are cut into
            chunks that overlap by the receptive field, which gives exactly the same
            result with bounded memory. Default: 4096.
        fps (float, optional): the frame rate the lifter was trained at (what its
            checkpoint records; ``load_lifter`` sets it). Clips are resampled to it.
        meta (dict, optional): the checkpoint's lifter meta (``models.lifter_meta``).
        member_state_dicts (list, optional): weights of further models of the same config
            (an ensemble, e.g. the same recipe trained with other seeds): every output is
            the mean of all the members' outputs. One training's errors depend on its seed
            (which runners, cameras and noise it drew) as much as on the recipe; the mean
            of a few independent trainings cancels much of that.
        flip_test (bool): also lift the mirror image of the input (x about the image
            centre, left and right swapped) and average it, mirrored back, with the
            direct output (VideoPose3D's test-time augmentation; twice the lifting
            time). Measured with the released lifter on the held-out Tindra2 (80 views):
            MPJPE 52.3 -> 50.0 mm with clean 2D, 52.4 -> 49.9 with detector-like 2D,
            feet 66.7 -> 63.3 (the recipe's Tindra1 fold: 69.3 -> 64.0 mm). On the real
            treadmill clip (MediaPipe 2D) it lowered the largest left/right bone
            difference for five other trainings of the recipe (37 -> 21 %, 21 -> 14 %,
            18 -> 15 / 13 / 12 %), but the release's far foot came out shorter (left/right
            foot 11 -> 15 %, upper arm 5 -> 9 %): not the default for the release.
    """

    def __init__(self, model_cfg: dict, state_dict: Optional[dict] = None,
                 device: str = 'cpu', chunk_frames: int = 4096, fps: Optional[float] = None,
                 meta: Optional[dict] = None, member_state_dicts: Sequence[dict] = (),
                 flip_test: bool = False):
        cfg = copy.deepcopy(model_cfg.to_dict() if isinstance(model_cfg, (Config, ConfigDict))
                            else dict(model_cfg))
        if cfg['backbone']['type'] != 'TCN':
            raise ValueError(f"whole-sequence lifting needs a TCN backbone, got "
                             f"{cfg['backbone']['type']}")
        cfg['backbone']['use_stride_conv'] = False
        if cfg.get('traj_backbone'):
            cfg['traj_backbone']['use_stride_conv'] = False
        # in MMPose's scope: a detector built before (MMDet's inferencer) leaves the
        # default scope at 'mmdet', whose registry does not know the lifter
        if member_state_dicts and state_dict is None:
            raise ValueError('ensemble members need the first member\'s state_dict too')
        self.members = []
        for weights in [state_dict] + list(member_state_dicts):
            with DefaultScope.overwrite_default_scope('mmpose'):
                model = MODELS.build(cfg)
            if weights is not None:
                model.load_state_dict(weights)
            model.to(device)
            model.eval()  # on its own line: mmpose's BaseBackbone.train() returns None
            self.members.append(model)
        self.model = self.members[0]
        self.device = device
        self.receptive_field = receptive_field(cfg['backbone'])
        # a causal TCN's output is its window's last frame: all context is in the past
        self.causal = bool(cfg['backbone'].get('causal', False))
        self.num_keypoints = cfg['head']['num_joints']
        # lifters trained with seen flags (models.codecs) take each keypoint's score too
        self.confidence_threshold = confidence_threshold(cfg)
        self.chunk_frames = int(chunk_frames)
        if self.chunk_frames < 1:
            raise ValueError('chunk_frames must be >= 1')
        self.fps = None if fps is None else float(fps)
        self.meta = dict(meta or {})
        skeleton = runningpose19()
        self.flip_indices = list(skeleton.flip_indices) \
            if self.num_keypoints == len(skeleton.names) else None
        if flip_test and self.flip_indices is None:
            raise ValueError(f'flip_test needs the runningpose19 keypoints, the lifter has '
                             f'{self.num_keypoints}')
        self.flip_test = bool(flip_test)

    @property
    def has_trajectory(self) -> bool:
        return getattr(self.model, 'with_traj', False)

    @torch.no_grad()
    def lift_normalized(self, inputs: np.ndarray, with_trajectory: bool = False,
                        scores: Optional[np.ndarray] = None):
        """(T, K, 2) normalised 2D -> (T, K, 3) root-relative 3D in metres (camera axes).

        With ``with_trajectory`` (models with a root-trajectory branch) also returns the
        (T, 3) camera-frame root positions in metres. ``scores`` (T, K): the keypoints'
        confidences, for lifters that take seen flags (``models.codecs``; without scores
        every keypoint counts as seen); other lifters ignore them."""
        if inputs.ndim != 3 or inputs.shape[-1] != 2:
            raise ValueError(f'expected (T, K, 2) normalised 2D, got {inputs.shape}')
        num_frames, num_kpts = inputs.shape[:2]
        if num_kpts != self.num_keypoints:
            raise ValueError(f'the lifter expects {self.num_keypoints} keypoints, got '
                             f'{num_kpts}')
        inputs = lifter_inputs(inputs, scores, self.confidence_threshold)
        if num_frames == 0:
            return np.zeros((0, num_kpts, 3), np.float32)
        left = self.receptive_field - 1 if self.causal else (self.receptive_field - 1) // 2
        right = self.receptive_field - 1 - left
        padded = np.concatenate([np.repeat(inputs[:1], left, axis=0), inputs,
                                 np.repeat(inputs[-1:], right, axis=0)])
        context = left + right
        # (T + 2 half, K, C) -> (K*C, T + 2 half), channels ordered as the codec's
        x_all = torch.from_numpy(padded.reshape(len(padded), -1).T.copy()).float()
        if with_trajectory and not self.has_trajectory:
            raise ValueError('this lifter has no root-trajectory branch (traj_backbone)')
        poses, roots = [], []
        for start in range(0, num_frames, self.chunk_frames):
            stop = min(num_frames, start + self.chunk_frames)
            pose, root = self.forward_windows(x_all[:, start:stop + context], with_trajectory)
            poses.append(pose)
            roots.append(root)
        if with_trajectory:
            return np.concatenate(poses), np.concatenate(roots)
        return np.concatenate(poses)

    @torch.no_grad()
    def forward_windows(self, x: torch.Tensor, with_trajectory: bool = False):
        """The dilated network on already padded input.

        Args:
            x (torch.Tensor): (K*C, T) normalised 2D (C = 2, or 3 with seen flags),
                channels ordered as the codec's.

        Returns:
            tuple: (T - receptive_field + 1, K, 3) poses and, with ``with_trajectory``,
            (T - receptive_field + 1, 3) roots (else None).
        """
        x = x.unsqueeze(0).to(self.device)
        inputs = [(x, False)]
        if self.flip_test:
            flip = torch.as_tensor(self.flip_indices, device=x.device)
            mirrored = x.reshape(1, self.num_keypoints, -1, x.shape[-1])[:, flip].clone()
            mirrored[:, :, 0] *= -1  # about the image centre, the input space's origin
            inputs.append((mirrored.reshape(x.shape), True))
        poses, roots = [], []
        for model in self.members:
            for inp, mirror in inputs:
                y = model.head.conv(model.backbone(inp)[-1])[0]  # (K*3, T')
                pose = y.T.reshape(y.shape[1], -1, 3)
                if mirror:
                    pose = pose[:, flip] * pose.new_tensor([-1.0, 1.0, 1.0])
                poses.append(pose)
                if with_trajectory:
                    root = model.traj_head(model.traj_backbone(inp))[0]
                    roots.append(root * root.new_tensor([-1.0, 1.0, 1.0]) if mirror else root)
        pose = torch.stack(poses).mean(0).cpu().numpy()
        root = torch.stack(roots).mean(0).cpu().numpy() if with_trajectory else None
        return pose, root

    def __call__(self, keypoints: np.ndarray, image_size: Tuple[int, int],
                 with_trajectory: bool = False, scores: Optional[np.ndarray] = None):
        """(T, K, 2) pixels -> (T, K, 3) root-relative camera-frame 3D in metres (and the
        (T, 3) camera-frame root trajectory with ``with_trajectory``); ``scores`` (T, K)
        as in ``lift_normalized``."""
        return self.lift_normalized(normalize_keypoints_2d(keypoints, image_size),
                                    with_trajectory, scores)


class OnlineLifter:
    """Frame-by-frame lifting for live use with a causal lifter.

    Keeps the last ``receptive_field`` normalised frames and lifts the newest one from
    them: only past context, never copies standing in for the future. Outputs equal the
    causal whole-clip pass frame by frame.

    Args:
        lifter (WholeSequenceLifter): built from a causal config (``backbone.causal``).
        image_size (tuple): (w, h) of the video.
    """

    def __init__(self, lifter: WholeSequenceLifter, image_size: Tuple[int, int]):
        if not lifter.causal:
            raise ValueError('online lifting needs a causal lifter (backbone causal=True, '
                             'e.g. configs/runningpose_tcn_causal.py): a non-causal one needs '
                             'future frames')
        self.lifter = lifter
        self.image_size = image_size
        self.buffer = None

    def __call__(self, keypoints: np.ndarray, scores: Optional[np.ndarray] = None) -> np.ndarray:
        """(19, 2) pixels of the newest frame (and its (19,) scores, for lifters that take
        seen flags) -> (19, 3) root-relative metres."""
        frame = lifter_inputs(normalize_keypoints_2d(keypoints[None], self.image_size),
                              None if scores is None else np.asarray(scores)[None],
                              self.lifter.confidence_threshold)
        if self.buffer is None:  # edge padding with the first frame, as the clip pass
            self.buffer = np.repeat(frame, self.lifter.receptive_field, axis=0)
        else:
            self.buffer = np.concatenate([self.buffer[1:], frame])
        # the buffer is exactly one window: the dilated network gives one output
        x = torch.from_numpy(self.buffer.reshape(len(self.buffer), -1).T.copy()).float()
        return self.lifter.forward_windows(x)[0][-1]


class LifterLoadError(ValueError):
    """Lifter config and weights that cannot be used together (or are missing)."""


def load_lifter(config: Optional[str] = None, weights: Union[str, Sequence[str], None] = None,
                fps: Optional[float] = None, device: str = 'cpu',
                flip_test: bool = False) -> WholeSequenceLifter:
    """A ready lifter: the released one by default, or a config with its weights.

    Args:
        config (str, optional): lifter config. With ``weights``; both None: the released
            runningpose19 lifter shipped in the package.
        weights (str or list, optional): checkpoint (path or URL) for ``config``, or
            several (an ensemble: outputs averaged; they must share the frame rate); a
            checkpoint may itself hold an ensemble (``MEMBERS_KEY``: the released
            lifter). ``'random'`` builds random weights on purpose (tests and
            benchmarks only).
        fps (float, optional): the frame rate the caller expects the lifter to run at;
            an error if the checkpoint was trained at another.
        device (str): torch device.
        flip_test (bool): also lift the mirrored input and average (``WholeSequenceLifter``).

    Returns:
        WholeSequenceLifter: with ``fps`` (from the checkpoint's meta) and ``meta``.

    Raises:
        LifterLoadError: a config without weights or weights without a config.
        LifterMetaError: the checkpoint's frame rate or keypoints do not fit.
    """
    from ..models.lifter_meta import LifterMetaError, lifter_meta
    from .runner import load_config
    if weights is not None and not isinstance(weights, str):
        weights = list(weights)
        weights = weights[0] if len(weights) == 1 else weights or None
    if config is None and weights is None:
        from .released import released_lifter
        config, weights = released_lifter()
    if config is None:
        raise LifterLoadError(f'lifter weights {weights} were given without their config: '
                              'pass the config they were trained with (--lifter-config)')
    if weights is None:
        raise LifterLoadError(f'lifter config {config} was given without weights: it would '
                              'lift with random weights. Pass --lifter-weights (a checkpoint '
                              'trained with this config), or neither to use the released '
                              'lifter')
    cfg = load_config(config)
    config_fps = cfg.get('train_dataloader', {}).get('dataset', {}).get('fps')
    config_threshold = confidence_threshold(cfg.model)
    if weights == 'random':
        rate = fps if fps is not None else config_fps
        if rate is None:
            raise LifterMetaError(f'{config}: no frame rate (fps) in the config')
        return WholeSequenceLifter(cfg.model, None, device=device, fps=rate,
                                   meta=lifter_meta(rate, config_threshold),
                                   flip_test=flip_test)
    states, meta = [], None
    for path in ([weights] if isinstance(weights, str) else list(weights)):
        checkpoint_states, checkpoint_meta = _read_checkpoint(path, config_fps, fps,
                                                              config_threshold)
        if meta is not None and checkpoint_meta['fps'] != meta['fps']:
            raise LifterMetaError(f'{path}: trained at {checkpoint_meta["fps"]:g} fps, the '
                                  f'other members at {meta["fps"]:g}: one ensemble, one rate')
        meta = meta or checkpoint_meta
        states += checkpoint_states
    # RunningPoseLifter refuses a 17-keypoint state dict with a pointer to the converter
    return WholeSequenceLifter(cfg.model, states[0], device=device, fps=meta['fps'], meta=meta,
                               member_state_dicts=states[1:], flip_test=flip_test)


#: checkpoint key of the released file's models (an ensemble of one or more), each a
#: ``weights.pack_state_dict``; a training checkpoint has one ``state_dict`` instead
MEMBERS_KEY = 'members'


def is_released_file(path: str) -> bool:
    """Whether a checkpoint file is a released (compact, possibly ensemble) lifter file,
    which only ``load_lifter`` reads (MMEngine's checkpoint loading takes one model)."""
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=False)
    except Exception:  # unreadable: the caller's loader says why
        return False
    return isinstance(checkpoint, dict) and MEMBERS_KEY in checkpoint


def _read_checkpoint(weights: str, config_fps, fps, config_threshold=None):
    """(state dicts in float32, lifter meta) of one checkpoint: a training checkpoint's
    one state dict, or the members of a released (compact) file (``MEMBERS_KEY``)."""
    from mmengine.runner import CheckpointLoader

    from ..models.lifter_meta import read_lifter_meta
    path = resolve_weights(weights, 'lifter')
    try:
        checkpoint = CheckpointLoader.load_checkpoint(path, map_location='cpu')
    except Exception as exc:  # a truncated or foreign file: say which
        raise LifterLoadError(f'{path}: not a readable lifter checkpoint ({type(exc).__name__}: '
                              f'{exc})') from exc
    if not isinstance(checkpoint, dict):
        raise LifterLoadError(f'{path}: not a lifter checkpoint (a {type(checkpoint).__name__})')
    meta = read_lifter_meta(checkpoint, path, config_fps, fps, config_threshold)
    states = checkpoint[MEMBERS_KEY] if MEMBERS_KEY in checkpoint else \
        [checkpoint.get('state_dict', checkpoint)]
    if not states:
        raise LifterLoadError(f'{path}: an ensemble file without members')
    return [unpack_state_dict(state) for state in states], meta  # compact ones as float32
