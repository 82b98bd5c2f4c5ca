"""Video -> person boxes (MMDet) -> 2D keypoints with feet (MMPose) -> runningpose19 ->
whole-clip 3D lifting -> files and pictures, in MMPose's inferencer call style."""
import os
import os.path as osp
import time
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from mmpose.registry import INFERENCERS

from .keypoint_conversion import conversion_matrix, to_runningpose19
from .keypoint_files import Keypoints2D
from .lifting import load_lifter
from .pose2d_stage import FastRunner2D, FrameSource
from .outputs import write_all
from .video_lifting import lift_clip, main_runner_keypoints
from .weights import WeightsUnavailableError, resolve_weights


def _inference_models() -> dict:
    """2D models and detector named in configs/_base_/inference_models.py."""
    from mmengine.config import Config

    from ..skeleton import config_dir
    cfg = Config.fromfile(osp.join(config_dir(), '_base_', 'inference_models.py'))
    return dict(pose2d=cfg.pose2d_models.to_dict(), detector=cfg.detector.to_dict(),
                detectors=cfg.detectors.to_dict())


class VideoInputError(ValueError):
    """A video that cannot be read or holds nothing to analyse."""


def resolve_config(config: str) -> str:
    """``mmpose::relative/path.py`` -> the file inside the installed mmpose package."""
    if config.startswith('mmpose::'):
        from mmengine.utils import get_installed_path
        path = osp.normpath(osp.join(get_installed_path('mmpose'), '.mim', 'configs',
                                     config[len('mmpose::'):]))
        if not osp.isfile(path):
            raise FileNotFoundError(f'{config}: not found in the installed mmpose ({path})')
        return path
    if not osp.isfile(config):
        raise FileNotFoundError(f'config {config} does not exist')
    return config


@INFERENCERS.register_module(name='runningpose')
class RunningPoseInferencer:
    """3D running pose from a video (or from 2D keypoints a user has), one runner, whole
    clip at once.

    Args:
        lifter_config (str, optional): runningpose lifter config, with ``lifter_weights``.
            Both None (default): the released runningpose19 lifter shipped in the package.
        lifter_weights (str or list, optional): its checkpoint (runningpose19; convert
            Human3.6M ones with tools/convert_checkpoint.py), or several (an ensemble).
            ``'random'``: random weights, on purpose (tests and speed benchmarks only).
        pose2d (str, optional): 'halpe26' / 'body26' (default), 'wholebody', or a 2D
            config path; None builds no 2D model (lifting from keypoint files only).
        pose2d_weights (str, optional): checkpoint path or URL (default: the standard
            OpenMMLab weights of the named model). ``'random'``: no weights (tests).
        det_model (str, optional): 'rtmdet-m' (default, None), 'rtmdet-nano', a detector
            config, or 'whole_image' (the whole frame is the runner's box).
        det_weights (str, optional): like ``pose2d_weights``.
        model_fps (float, optional): the lifter's frame rate you expect; an error when the
            lifter was trained at another (the rate comes from its checkpoint).
        device (str): 'cpu' or 'cuda:0'.
        det_interval (int, optional): the fast 2D stage detects people every this many
            frames (default: every 0.5 s) and takes the runner's box from its keypoints
            in between (``apis.pose2d_stage.FastRunner2D``).
        batch_size (int): crops per 2D forward pass.
        per_frame_2d (bool): MMPose's ``Pose2DInferencer`` on every frame instead (the
            detector on every frame, one image per pass: slow, every person kept).
        flip_test (bool): the 2D model also reads the mirrored crop and averages (its
            config's default, the accurate choice); False halves the 2D model's time.
        lifter_flip_test (bool): the lifter also lifts the mirrored 2D and averages
            (``WholeSequenceLifter``: held-out mocap MPJPE 33.9 -> 32.3 mm with the
            released lifter, at twice the lifting time; off by default).
        equalise_bones (bool): give each left/right pair of lifted bones one length per
            clip, from the frames where the detector saw them (``lift_clip``; default).
            False: the lifter's own output.
    """

    def __init__(self, lifter_config: Optional[str] = None, lifter_weights=None,
                 pose2d: Optional[str] = 'halpe26', pose2d_weights: Optional[str] = None,
                 det_model: Optional[str] = None, det_weights: Optional[str] = None,
                 model_fps: Optional[float] = None, device: str = 'cpu',
                 det_interval: Optional[int] = None, batch_size: int = 8,
                 per_frame_2d: bool = False,
                 flip_test: bool = True, lifter_flip_test: bool = False,
                 equalise_bones: bool = True):
        self.pose2d = None
        self.dataset_2d = None
        self.per_frame_2d = per_frame_2d
        self.equalise_bones = equalise_bones
        if pose2d is not None:
            self._build_pose2d(pose2d, pose2d_weights, det_model, det_weights, device)
            if not flip_test:
                self.pose2d.model.test_cfg['flip_test'] = False
            self.runner_2d = FastRunner2D(self.pose2d, det_interval, batch_size)
        self.lifter = load_lifter(lifter_config, lifter_weights, model_fps, device,
                                  flip_test=lifter_flip_test)
        self.model_fps = self.lifter.fps

    def _build_pose2d(self, pose2d, pose2d_weights, det_model, det_weights, device):
        from mmpose.apis.inferencers import Pose2DInferencer
        models = _inference_models()
        named = models['pose2d'].get(pose2d)
        pose2d_config = resolve_config(named['config'] if named else pose2d)
        if pose2d_weights is None and named:
            pose2d_weights = named['weights']
        pose2d_weights = None if pose2d_weights == 'random' else \
            resolve_weights(pose2d_weights, 'pose2d')
        if det_model != 'whole_image':
            named_det = models['detectors'].get(det_model) if det_model else models['detector']
            det_config = resolve_config(named_det['config'] if named_det else det_model)
            if det_weights is None and named_det:
                det_weights = named_det['weights']
            det_weights = None if det_weights == 'random' else \
                resolve_weights(det_weights, 'det')
        else:
            det_config, det_weights = 'whole_image', None
        self.pose2d = Pose2DInferencer(pose2d_config, pose2d_weights, device=device,
                                       det_model=det_config, det_weights=det_weights,
                                       det_cat_ids=0)
        self.dataset_2d = self.pose2d.model.dataset_meta['dataset_name']
        conversion_matrix(self.dataset_2d)  # a 2D model without feet fails here, early

    def lift_keypoints(self, keypoints: Union[str, Keypoints2D], fps: Optional[float] = None,
                       image_size: Optional[Tuple[int, int]] = None,
                       keypoint_set: Optional[str] = None, pred_out_dir: Optional[str] = None,
                       max_gap_s: float = 0.2) -> dict:
        """Lift 2D keypoints a user already has (skipping detection and the 2D model).

        Args:
            keypoints: a keypoint file (MMPose prediction JSON, NPZ or CSV; see
                ``apis.keypoint_files``) or a ``Keypoints2D``.
            fps, image_size, keypoint_set: when the file does not carry them.
            pred_out_dir (str, optional): write NPZ/CSV/JSON/TRC/C3D here.

        Returns:
            dict: ``predictions`` (LiftedSequence), ``fps``, ``files``, ``notes``.
        """
        from .keypoint_files import read_keypoints_2d
        data = keypoints if isinstance(keypoints, Keypoints2D) else \
            read_keypoints_2d(keypoints, fps, image_size, keypoint_set)
        kp, sc = to_runningpose19(data.keypoints, data.scores, data.keypoint_set)
        complete = np.isfinite(kp).all(axis=(1, 2))
        if not complete.any():
            raise VideoInputError(f'{data.source}: no frame has every runningpose19 keypoint '
                                  '(feet and head included)')
        lifted = lift_clip(self.lifter, kp, sc, data.fps, data.image_size, max_gap_s=max_gap_s,
                           equalise_bones=self.equalise_bones)
        lifted.meta.update(keypoints_file=data.source, pose2d_dataset=data.keypoint_set,
                           frames_with_runner=int(complete.sum()),
                           notes=list(data.notes))
        files = {}
        if pred_out_dir:
            os.makedirs(pred_out_dir, exist_ok=True)
            name = osp.splitext(osp.basename(data.source))[0]
            files.update(write_all(lifted, osp.join(pred_out_dir, name)))
        return dict(predictions=lifted, fps=data.fps, files=files, notes=list(data.notes))

    @staticmethod
    def open_video(video: Union[str, Sequence[np.ndarray]], fps: Optional[float] = None):
        """A frame source: (``FrameSource``, fps, (w, h)); calling the source gives an
        iterator over the frames.

        Video files are streamed (decoded in a background thread, read again for
        rendering), never held in memory, so hour-long clips stay within bounded memory.
        """
        if isinstance(video, str):
            import cv2
            if not osp.isfile(video):
                raise VideoInputError(f'video {video} does not exist')
            capture = cv2.VideoCapture(video)
            if not capture.isOpened():
                raise VideoInputError(f'{video}: cannot be opened as a video')
            rate = fps or capture.get(cv2.CAP_PROP_FPS)
            count = int(max(0, capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
            ok, first = capture.read()
            capture.release()
            if not ok:
                raise VideoInputError(f'{video}: no frame could be decoded (empty or corrupt)')
            if not rate or not np.isfinite(rate) or rate <= 0:
                raise VideoInputError(f'{video}: the frame rate is unknown; pass fps=')
            return FrameSource(video, count), float(rate), (first.shape[1], first.shape[0])
        frames_list = list(video)
        if not frames_list:
            raise VideoInputError('no frames given')
        if fps is None:
            raise VideoInputError('frames given as arrays need fps=')
        return FrameSource(frames_list, len(frames_list)), float(fps), \
            (frames_list[0].shape[1], frames_list[0].shape[0])

    @property
    def bbox_thr(self) -> float:
        """Detections scoring at most this are ignored, by both 2D paths (MMPose's
        default, 0.3, held by the fast stage)."""
        return self.runner_2d.bbox_thr

    @bbox_thr.setter
    def bbox_thr(self, value: float) -> None:
        self.runner_2d.bbox_thr = value

    def detect_2d(self, frames, show_progress: bool = True):
        """MMPose's per-frame path: per frame, the people found (list of dicts: bbox,
        keypoints, keypoint_scores). The fast path is ``self.runner_2d``."""
        from tqdm import tqdm
        people = []
        for frame in tqdm(frames, desc='2D keypoints', unit='frame',
                          disable=None if show_progress else True):  # None: off in logs
            result = next(self.pose2d(frame, return_datasamples=True, bbox_thr=self.bbox_thr))
            instances = result['predictions'][0].pred_instances
            people.append([
                dict(bbox=np.asarray(instances.bboxes[i], float),
                     keypoints=np.asarray(instances.keypoints[i], float),
                     keypoint_scores=np.asarray(instances.keypoint_scores[i], float))
                for i in range(len(instances))])
        return people

    def __call__(self, inputs, fps: Optional[float] = None, vis_out_dir: Optional[str] = None,
                 pred_out_dir: Optional[str] = None, show_progress: bool = True,
                 max_gap_s: float = 0.2):
        """MMPose's inferencer style: a generator of one result per video.

        Args:
            inputs: a video path, a list of video paths, or a list of BGR frames (with
                ``fps``).

        Yields:
            dict: see :meth:`infer`.
        """
        videos = [inputs] if isinstance(inputs, str) or (
            len(inputs) and isinstance(inputs[0], np.ndarray)) else list(inputs)
        for video in videos:
            yield self.infer(video, fps, vis_out_dir, pred_out_dir, show_progress, max_gap_s)

    def infer(self, inputs, fps: Optional[float] = None, vis_out_dir: Optional[str] = None,
              pred_out_dir: Optional[str] = None, show_progress: bool = True,
              max_gap_s: float = 0.2) -> dict:
        """Analyse one video (path or list of BGR frames).

        Returns:
            dict: ``predictions`` (LiftedSequence at the video's frames), ``fps``,
            ``files`` (written outputs).
        """
        if self.pose2d is None:
            raise VideoInputError('this inferencer has no 2D model (pose2d=None): lift '
                                  'keypoint files with lift_keypoints()')
        frames, rate, (w, h) = self.open_video(inputs, fps)
        start = time.perf_counter()
        if self.per_frame_2d:
            people = self.detect_2d(frames(), show_progress)
        else:
            people = self.runner_2d(frames, (w, h), rate, show_progress)
        if not any(people):
            raise VideoInputError('no person detected in '
                                  f'{inputs if isinstance(inputs, str) else "the frames"}')
        seconds = dict(pose2d=time.perf_counter() - start)
        start = time.perf_counter()
        raw, raw_scores, chosen = main_runner_keypoints(people)
        kp, sc = to_runningpose19(raw, raw_scores, self.dataset_2d)
        lifted = lift_clip(self.lifter, kp, sc, rate, (w, h), max_gap_s=max_gap_s,
                           equalise_bones=self.equalise_bones)
        seconds['lifting'] = time.perf_counter() - start
        lifted.meta.update(video=inputs if isinstance(inputs, str) else None,
                           pose2d_dataset=self.dataset_2d,
                           frames_with_runner=int((chosen >= 0).sum()))
        if not self.per_frame_2d:
            lifted.meta.update(det_interval=self.runner_2d.interval,
                               frames_detected_again=self.runner_2d.counts.get('redetected', 0))
        files = {}
        name = osp.splitext(osp.basename(inputs))[0] if isinstance(inputs, str) else 'frames'
        start = time.perf_counter()
        if pred_out_dir:
            os.makedirs(pred_out_dir, exist_ok=True)
            files.update(write_all(lifted, osp.join(pred_out_dir, name)))
        seconds['writing'] = time.perf_counter() - start
        start = time.perf_counter()
        if vis_out_dir:
            from ..visualization.video import render_video
            files.update(render_video(frames(), lifted, osp.join(vis_out_dir, name),
                                      show_progress=show_progress))
        seconds['rendering'] = time.perf_counter() - start
        lifted.meta['seconds'] = {k: round(v, 3) for k, v in seconds.items()}
        return dict(predictions=lifted, fps=rate, files=files)


def input_errors() -> tuple:
    """Exceptions that mean bad input or set-up (files, weights, keypoints, frame rates):
    command-line tools print them as ``error: ...``, never as a traceback."""
    from ..gait.events import GaitInputError
    from ..mocap.marker_map import MarkerMapError
    from ..mocap.markers import MocapFormatError
    from ..models.lifter_meta import LifterMetaError
    from .keypoint_conversion import NoFootKeypointsError
    from .keypoint_files import KeypointFileError
    from .lifting import LifterLoadError
    return (VideoInputError, WeightsUnavailableError, NoFootKeypointsError, KeypointFileError,
            LifterLoadError, LifterMetaError, GaitInputError, MocapFormatError,
            MarkerMapError, FileNotFoundError)


def _positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (else a usage error naming the value)."""
    import argparse
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not an integer') from None
    if value < 1:
        raise argparse.ArgumentTypeError(f'must be 1 or more, got {value}')
    return value


def add_inferencer_arguments(parser) -> None:
    """The command-line options of the video inferencer (tools/infer.py, gait_report.py)."""
    group = parser.add_argument_group('lifting (default: the released runningpose19 lifter)')
    group.add_argument('--lifter-config',
                       help='lifter config (with --lifter-weights; default: the released one)')
    group.add_argument('--lifter-weights', nargs='+', metavar='WEIGHTS',
                       help='checkpoint trained with --lifter-config (path or URL); several: '
                       'an ensemble, their 3D averaged')
    group.add_argument('--lifter-flip-test', action='store_true',
                       help='also lift the mirrored 2D and average (held-out mocap MPJPE 33.9 '
                       '-> 32.3 mm with the released lifter; twice the lifting time)')
    group.add_argument('--raw-bone-lengths', action='store_true',
                       help="the lifter's own bone lengths (default: each left/right pair "
                       'of bones gets one length per clip, from the frames where the 2D '
                       'detector saw it; a hidden far arm is lifted as long as the detector '
                       'guessed it)')
    group.add_argument('--model-fps', type=float,
                       help='the frame rate you expect the lifter to run at; an error if its '
                       'checkpoint says otherwise (default: what the checkpoint says)')
    group = parser.add_argument_group('2D stage (videos)')
    group.add_argument('--pose2d', default='halpe26',
                       help='halpe26 (default), wholebody, or a 2D config with foot keypoints')
    group.add_argument('--pose2d-weights', help="checkpoint path or URL ('random': tests)")
    group.add_argument('--det-model', help="rtmdet-m (default), rtmdet-nano, a detector "
                       "config, or 'whole_image' (the whole frame is the runner)")
    group.add_argument('--det-weights', help='detector checkpoint path or URL')
    group.add_argument('--det-interval', type=_positive_int,
                       help='detect people every this many frames (default: every 0.5 s); '
                       "in between the runner's box follows its keypoints")
    group.add_argument('--batch-size', type=_positive_int, default=8,
                       help='crops per 2D forward pass (default 8, the fastest on a CPU)')
    group.add_argument('--no-flip-test', action='store_true',
                       help='2D model without its mirrored second pass (about 2x faster, '
                       'less accurate)')
    group.add_argument('--per-frame-2d', action='store_true',
                       help="MMPose's Pose2DInferencer on every frame (slow; for comparison)")
    group.add_argument('--device', default='cpu', help="torch device: 'cpu' or 'cuda:0'")


def inferencer_from_args(args, with_2d: bool = True) -> RunningPoseInferencer:
    """The inferencer the command-line options describe (no 2D model when ``with_2d`` is
    False: lifting from keypoint files)."""
    return RunningPoseInferencer(args.lifter_config, args.lifter_weights,
                                 args.pose2d if with_2d else None, args.pose2d_weights,
                                 args.det_model, args.det_weights, args.model_fps, args.device,
                                 det_interval=args.det_interval, batch_size=args.batch_size,
                                 per_frame_2d=args.per_frame_2d,
                                 flip_test=not args.no_flip_test,
                                 lifter_flip_test=args.lifter_flip_test,
                                 equalise_bones=not args.raw_bone_lengths)
