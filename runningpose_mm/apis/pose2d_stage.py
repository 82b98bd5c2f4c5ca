"""The 2D stage for one runner, fast on a CPU: MMDet person boxes every N-th frame,
MMPose keypoints on batches of crops, video decoded in a background thread.

MMPose's ``Pose2DInferencer`` runs the detector on every frame and the 2D model on
every box, one image per forward pass. A runner's video has one person who moves
smoothly, so most of that work can go:

1. **Keyframes** (every ``det_interval``-th frame, by default every 0.5 s): the
   detector runs on these only. The runner is the main person through the keyframes'
   detections (``select_main_track``: linked by the distance from the track's predicted
   box, so a runner crossing the frame keeps the track over N frames; a box that merges
   the runner with a bystander is coasted through, so the track leaves a crossing with
   the runner; a runner who left the view and came back is rejoined).
2. **Boxes between keyframes come from the runner's keypoints.** RTMPose's deployment
   pipeline (mmdeploy's PoseTracker, rtmlib) takes a frame's box from the previous
   frame's keypoints, one frame after another. A recorded video lets us look ahead: a
   frame between two keyframes takes the box interpolated between the keypoint boxes
   (``keypoint_box``) of the keyframes on either side. Every frame between them is then
   known before any is processed, so the 2D model runs on batches of crops
   (``batch_size`` per forward pass, through the models' own test pipelines and
   ``test_step``: the same preprocessing as the per-image inferencer; equal to
   ``inference_topdown`` to 1e-3 px).
3. **Checked, and detected again when lost**: a frame whose keypoints are not
   confident (mean score below ``min_score``) or whose keypoint box no longer overlaps
   the box it was cropped from (IoU below ``min_iou``) is detected again; a detection
   that continues the runner's box gets the 2D model again, otherwise the runner is
   absent there (a gap, never a bystander's or an empty crop's keypoints).

Decoding runs in a background thread (OpenCV releases the interpreter lock while it
decodes) so it overlaps the models; the keyframe pass only grabs the frames it skips
(no colour conversion).
"""
import queue
import threading
import time
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from .video_lifting import box_iou, select_main_track

#: how many frames the decoding thread may run ahead of the models (bounded memory)
DECODE_AHEAD = 32
#: default time between detections. Measured on the shared real clips (MediaPipe
#: keypoints, boxes interpolated between keyframes as here): every keypoint stays
#: inside its crop with keyframes up to 1 s apart on both (treadmill, and a runner
#: crossing the view); 0.5 s keeps twice that margin for faster runners and lets a
#: track link keyframes by motion. RTMDet-m costs 0.2 s a frame on 2 cores, RTMPose-m
#: 0.04 s: detecting every 0.5 s at 30 fps is 0.013 s a frame.
DETECT_EVERY_S = 0.5
#: how far a person may move between the first two keyframes of a track (box heights
#: per second; a sprinter filmed side on moves about 5)
FIRST_STEP_HEIGHTS_PER_S = 6.0


class FrameSource:
    """The frames of a video file (streamed, decoded in a background thread) or of a list
    of arrays.

    Args:
        video: a video path or a sequence of BGR frames.
        num_frames (int): the frame count a video file's header claims (may be wrong by
            a few frames; only used for progress bars).
    """

    def __init__(self, video, num_frames: int):
        self.video = video
        self.num_frames = num_frames

    def __call__(self) -> Iterator[np.ndarray]:
        """Every frame, in order."""
        return (frame for _, frame in self.select())

    def select(self, keep: Optional[Callable[[int], bool]] = None
               ) -> Iterator[Tuple[int, np.ndarray]]:
        """(index, frame) of the frames ``keep(index)`` accepts (default all), decoded
        ahead in a background thread; the others are skipped without colour conversion."""
        if not isinstance(self.video, str):
            return ((t, f) for t, f in enumerate(self.video) if keep is None or keep(t))
        return _background(self._decode(keep))

    def _decode(self, keep):
        import cv2
        capture = cv2.VideoCapture(self.video)
        try:
            t = 0
            while True:
                if keep is None or keep(t):
                    ok, frame = capture.read()
                    if not ok:
                        return
                    yield t, frame
                elif not capture.grab():
                    return
                t += 1
        finally:
            capture.release()


def _background(generator, ahead: int = DECODE_AHEAD):
    """Run a generator in a thread, ``ahead`` items in advance."""
    items = queue.Queue(maxsize=ahead)
    done = object()
    stop = threading.Event()

    def put(item) -> bool:
        """Queue an item unless the consumer has stopped (never blocks for good)."""
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def work():
        try:
            for item in generator:
                if not put(item):
                    return
            put(done)
        except BaseException as exc:  # re-raised in the consumer
            put(exc)

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        while True:
            item = items.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        generator_close = getattr(generator, 'close', None)
        thread.join(timeout=5)
        if not thread.is_alive() and generator_close:
            generator_close()


def _channels_last(pose2d) -> None:
    """Keep the models' convolution weights in channels-last memory layout (oneDNN's
    native one): same weights and results (keypoints equal, scores within 3e-5, boxes
    within 1e-6 px), measured 1.35-1.55x faster for RTMPose-m and 1.23x for RTMDet-m on
    2 CPU threads."""
    import torch
    models = [pose2d.model] + ([pose2d.detector.model] if pose2d.detector else [])
    for model in models:
        model.to(memory_format=torch.channels_last)


def keypoint_box(keypoints: np.ndarray, scores: np.ndarray, image_size: Tuple[int, int],
                 min_score: float = 0.3, expansion: float = 1.25) -> Optional[np.ndarray]:
    """The box a person's keypoints span, grown by ``expansion`` about its centre (as
    rtmlib's PoseTracker does; the 2D model pads it once more), clipped to the image.

    Returns:
        np.ndarray: (4,) x1 y1 x2 y2, or None when fewer than 3 keypoints score above
        ``min_score`` (no box can be trusted then).
    """
    good = (scores > min_score) & np.isfinite(keypoints).all(-1)
    if good.sum() < 3:
        return None
    lo, hi = keypoints[good].min(0), keypoints[good].max(0)
    centre, half = (lo + hi) / 2, np.maximum((hi - lo) / 2 * expansion, 2.0)
    w, h = image_size
    box = np.concatenate([centre - half, centre + half])
    return np.clip(box, 0, [w, h, w, h])


class FastRunner2D:
    """The runner's 2D keypoints in every frame, with few detections and batched crops.

    Args:
        pose2d: MMPose's ``Pose2DInferencer`` (its model, test pipeline and collate
            function are used; its detector too, unless it has none: then the whole
            frame is the runner's box).
        det_interval (int, optional): detect every this many frames (1: every frame);
            default: every ``DETECT_EVERY_S`` seconds of the clip.
        batch_size (int): crops per 2D forward pass (the detector reads one frame per
            pass: faster on a CPU, see ``detect``).
        bbox_thr (float): detections scoring at most this are ignored (as MMPose's).
        min_score (float): a frame whose mean keypoint score is below this is lost.
        min_iou (float): a frame whose keypoint box overlaps its crop box less is lost.
    """

    def __init__(self, pose2d, det_interval: Optional[int] = None, batch_size: int = 8,
                 bbox_thr: float = 0.3, nms_thr: float = 0.3, min_score: float = 0.2,
                 min_iou: float = 0.3):
        if (det_interval is not None and det_interval < 1) or batch_size < 1:
            raise ValueError(f'det_interval and batch_size must be >= 1, got '
                             f'{det_interval} and {batch_size}')
        self.pose2d = pose2d
        _channels_last(pose2d)
        self.det_interval = det_interval
        self.interval = det_interval or 1  # of the clip being processed
        self.batch_size = int(batch_size)
        self.bbox_thr, self.nms_thr = bbox_thr, nms_thr
        self.min_score, self.min_iou = min_score, min_iou
        self.timings: Dict[str, float] = {}
        self.counts: Dict[str, int] = {}
        self._det_pipeline = None

    # -- the two models, on batches --------------------------------------------------
    def detect(self, images: Sequence[np.ndarray]) -> List[np.ndarray]:
        """People boxes per image: list of (n, 5) x1 y1 x2 y2 score, as MMPose's
        ``Pose2DInferencer`` keeps them (category, ``bbox_thr``, NMS).

        One image per forward pass: on a CPU, batches of detector inputs were slower
        per image (RTMDet-m, 2 threads: 0.30 s alone, 0.38 s in fours, 0.45 s in
        eights). Images are padded to a multiple of 32 instead of the config's fixed
        square, so a 16:9 frame is not half padding (0.20 s instead of 0.30 s)."""
        import torch
        from mmpose.evaluation.functional import nms
        detector = self.pose2d.detector
        pipeline = self._detector_pipeline()
        out = []
        start = time.perf_counter()
        for img in images:
            with torch.no_grad():
                result = detector.model.test_step(detector.collate_fn([pipeline(img)]))[0]
            inst = result.pred_instances.cpu().numpy()
            boxes = np.concatenate([inst.bboxes, inst.scores[:, None]], 1)
            keep = np.isin(inst.labels, self.pose2d.det_cat_ids) & (inst.scores > self.bbox_thr)
            boxes = boxes[keep]
            out.append(boxes[nms(boxes, self.nms_thr)] if len(boxes) else boxes)
        self._add_time('detect', start, len(images))
        return out

    def _detector_pipeline(self):
        """The detector's test pipeline (as MMDet's inferencer builds it), with a fixed
        pad size replaced by padding to a multiple of 32."""
        if self._det_pipeline is None:
            import copy

            from mmengine.dataset import Compose
            from mmengine.registry import DefaultScope
            cfg = copy.deepcopy(self.pose2d.detector.cfg.test_dataloader.dataset.pipeline)
            for step in cfg:
                if step['type'] in ('LoadImageFromFile', 'mmdet.LoadImageFromFile'):
                    step['type'] = 'mmdet.InferencerLoader'
                if step['type'] in ('Pad', 'mmdet.Pad') and 'size' in step:
                    step.pop('size')
                    step['size_divisor'] = 32
                if 'meta_keys' in step:  # frames have no image id
                    step['meta_keys'] = tuple(k for k in step['meta_keys'] if k != 'img_id')
            with DefaultScope.overwrite_default_scope('mmdet'):
                self._det_pipeline = Compose(cfg)
        return self._det_pipeline

    def estimate(self, images: Sequence[np.ndarray], boxes: Sequence[np.ndarray]
                 ) -> List[dict]:
        """The 2D model on one box per image, ``batch_size`` crops per forward pass.

        Returns:
            list of dict: ``bbox`` (4,), ``keypoints`` (K, 2) pixels, ``keypoint_scores``.
        """
        import torch
        pose = self.pose2d
        out = []
        start = time.perf_counter()
        for a in range(0, len(images), self.batch_size):
            infos = []
            for img, box in zip(images[a:a + self.batch_size], boxes[a:a + self.batch_size]):
                info = dict(img=img, img_path='frame.jpg',
                            bbox=np.asarray(box[:4], np.float32)[None],
                            bbox_score=np.ones(1, np.float32))
                info.update(pose.model.dataset_meta)
                infos.append(pose.pipeline(info))
            with torch.no_grad():
                samples = pose.model.test_step(pose.collate_fn(infos))
            for box, sample in zip(boxes[a:a + self.batch_size], samples):
                inst = sample.pred_instances
                out.append(dict(bbox=np.asarray(box[:4], float),
                                keypoints=np.asarray(inst.keypoints[0], float),
                                keypoint_scores=np.asarray(inst.keypoint_scores[0], float)))
        self._add_time('pose2d', start, len(images))
        return out

    def _add_time(self, stage, start, count):
        self.timings[stage] = self.timings.get(stage, 0.0) + time.perf_counter() - start
        self.counts[stage] = self.counts.get(stage, 0) + count

    # -- the clip --------------------------------------------------------------------
    def __call__(self, source: FrameSource, image_size: Tuple[int, int], fps: float,
                 show_progress: bool = True) -> List[List[dict]]:
        """Per frame, the runner (a list of one dict: ``bbox``, ``keypoints``,
        ``keypoint_scores``) or nobody (an empty list)."""
        self.timings, self.counts = {}, dict(redetected=0)
        self.interval = self.det_interval or max(1, int(round(DETECT_EVERY_S * fps)))
        keyframe_boxes = self._runner_on_keyframes(source, fps, show_progress)
        return self._keypoints_of_every_frame(source, image_size, keyframe_boxes,
                                              show_progress)

    def _is_keyframe(self, t: int) -> bool:
        return t % self.interval == 0

    def _runner_on_keyframes(self, source, fps, show_progress) -> Optional[dict]:
        """Pass 1: detect on the keyframes, choose the runner's track. Returns the
        runner's box on each keyframe where it is seen ({frame: box}); None without a
        detector."""
        from tqdm import tqdm
        if self.pose2d.detector is None:  # the whole frame is the runner
            return None
        keyframes, detections = [], []
        last = -1
        bar = tqdm(total=source.num_frames or None, desc='people (keyframes)', unit='frame',
                   disable=None if show_progress else True)
        for t, frame in source.select(self._is_keyframe):
            bar.update(t - last)
            last = t
            keyframes.append(t)
            detections += self.detect([frame])
        bar.close()
        people = [[dict(bbox=d[:4], score=float(d[4])) for d in dets] for dets in detections]
        # keyframes are far apart: a new track (no velocity yet) may move further
        first_shift = max(0.5, FIRST_STEP_HEIGHTS_PER_S * self.interval / fps)
        chosen, track_boxes = select_main_track(people, max_lost_frames=2, return_boxes=True,
                                                first_step_shift=first_shift)
        return {keyframes[k]: track_boxes[k] for k, i in enumerate(chosen) if i >= 0}

    def _keypoints_of_every_frame(self, source, image_size, keyframe_boxes, show_progress):
        """Pass 2: the 2D model on every frame near the runner's keyframes, in windows
        that end at a keyframe (so every frame in a window has keyframes on both sides)."""
        from tqdm import tqdm
        w, h = image_size
        whole = np.array([0, 0, w, h], float)
        total = source.num_frames or None
        bar = tqdm(total=total, desc='2D keypoints', unit='frame',
                   disable=None if show_progress else True)
        results: List[List[dict]] = []
        window: List[Tuple[int, np.ndarray]] = []
        anchor = None  # (frame, keypoint box) of the last keyframe processed
        for t, frame in source.select():
            window.append((t, frame))
            if (self._is_keyframe(t) and len(window) >= self.batch_size):
                anchor = self._process(window, keyframe_boxes, anchor, image_size, whole,
                                       results)
                bar.update(len(window))
                window = []
        if window:
            self._process(window, keyframe_boxes, anchor, image_size, whole, results)
            bar.update(len(window))
        bar.close()
        return results

    def _process(self, window, keyframe_boxes, anchor, image_size, whole, results):
        """2D keypoints of a window of frames; appends one list per frame to ``results``
        and returns the window's last keyframe anchor."""
        frames = dict(window)
        times = [t for t, _ in window]
        if keyframe_boxes is None:  # no detector: the whole frame, every frame
            found = self.estimate([frames[t] for t in times], [whole] * len(times))
            results.extend([[f] for f in found])
            return None
        keys = [t for t in times if self._is_keyframe(t)]
        in_track = [t for t in keys if t in keyframe_boxes]
        found = dict(zip(in_track, self.estimate([frames[t] for t in in_track],
                                                 [keyframe_boxes[t] for t in in_track])))
        anchors = {} if anchor is None else {anchor[0]: anchor[1]}
        for t in in_track:  # the runner's keypoint box, or the track's when they disagree
            box = self._followed_box(found[t], image_size)
            anchors[t] = keyframe_boxes[t] if box is None else box
        # frames between keyframes: the box between the keypoint boxes on either side
        # (after the clip's last keyframe, or next to one without the runner: the
        # nearest keypoint box within the interval)
        between, boxes = [], []
        anchor_times = sorted(anchors)
        for t in times:
            if t in found:
                continue
            box = _between(t, anchor_times, anchors, self.interval)
            if box is not None:
                between.append(t)
                boxes.append(box)
        found.update(zip(between, self.estimate([frames[t] for t in between], boxes)))
        # lost frames: detect again, and take a detection that continues the runner
        lost = [t for t in between if self._followed_box(found[t], image_size) is None]
        if lost:
            self.counts['redetected'] += len(lost)
            for t, dets in zip(lost, self.detect([frames[t] for t in lost])):
                box = self._continue(dets, found[t]['bbox'])
                del found[t]
                if box is not None:
                    found[t] = self.estimate([frames[t]], [box])[0]
        for t in times:
            results.append([found[t]] if t in found else [])
        return (anchor_times[-1], anchors[anchor_times[-1]]) if anchor_times else anchor

    def _confident(self, person: dict) -> bool:
        return float(np.mean(person['keypoint_scores'])) >= self.min_score

    def _followed_box(self, person: dict, image_size) -> Optional[np.ndarray]:
        """The person's keypoint box when the keypoints are confident and still inside
        the box they were cropped from (the runner was followed); None when lost."""
        box = keypoint_box(person['keypoints'], person['keypoint_scores'], image_size)
        if box is None or not self._confident(person) or \
                box_iou(box, person['bbox']) < self.min_iou:
            return None
        return box

    @staticmethod
    def _continue(detections: np.ndarray, box: np.ndarray) -> Optional[np.ndarray]:
        """The detection that continues the runner's box (best overlap, at least 0.3),
        or None."""
        if not len(detections):
            return None
        ious = [box_iou(box, d[:4]) for d in detections]
        best = int(np.argmax(ious))
        return detections[best, :4] if ious[best] >= 0.3 else None


def _between(t: int, anchor_times: List[int], anchors: dict, reach: int
             ) -> Optional[np.ndarray]:
    """The box at frame ``t`` from the anchors (keypoint boxes of keyframes): linear
    between the two around it when they are at most ``reach`` apart, else the nearest
    one within ``reach`` frames (the runner may be entering or leaving), else None."""
    before = [a for a in anchor_times if a < t]
    after = [a for a in anchor_times if a > t]
    a = before[-1] if before else None
    b = after[0] if after else None
    if a is not None and b is not None and b - a <= reach:
        f = (t - a) / (b - a)
        return (1 - f) * anchors[a] + f * anchors[b]
    near = [k for k in (a, b) if k is not None and abs(k - t) < reach]
    if not near:
        return None
    return anchors[min(near, key=lambda k: abs(k - t))]
