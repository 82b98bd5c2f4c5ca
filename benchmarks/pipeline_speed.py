"""Video -> 3D speed of the whole pipeline: MMPose's Pose3DInferencer, our per-frame 2D
path and our fast 2D stage, on the same clip and the same models, in one run.

    python benchmarks/pipeline_speed.py [--video V] [--frames 150] [--mmpose-frames 30]
        [--det-interval N] [--batch-size 8] [--pose2d halpe26] [--det-model rtmdet-m]
        [--no-flip-test]

Video: the real treadmill clip ``../shared/data/real_video_2d/zzzhushi_male_side.mp4``
(720 x 1280 portrait, 30 fps) when present, else a generated 1280 x 720 clip; the
first ``--frames`` frames (``--mmpose-frames`` for MMPose's slow path). Every path runs
in its own process (so peak memory is its own) with 2 torch threads and random weights:
the compute of trained models, not their output (the OpenMMLab weights cannot be
downloaded here).

Random weights make the detector propose thousands of boxes, so NMS and top-k would
dominate where a trained detector keeps one or two people. Every path's detector is
capped alike: at most ``nms_pre=1000`` candidates into NMS and ``max_per_img=2`` boxes
out (``model.bbox_head.test_cfg``), and no score threshold (random scores are low).

Paths:
- ``mmpose``: MMPose's ``Pose3DInferencer`` (RTMDet-m person + RTMPose-m COCO, both
  per frame, then VideoPose3D-243 lifting one window per frame), as its 3D demo runs.
- ``per-frame``: our inferencer with ``per_frame_2d=True`` (MMPose's ``Pose2DInferencer``
  on every frame: detector + 2D model, one image per pass) + whole-clip lifting.
- ``fast``: our default (``FastRunner2D``: detector every ``--det-interval`` frames, 2D
  model on batches of crops, background decoding) + whole-clip lifting.

Prints frames/s per stage (decode, detect, 2D, conversion + lifting, writing) and of the
whole, peak memory, and each path's speed as a ratio of MMPose's (targets: fast >= 10x
MMPose and >= 15 frames/s at 720p on 2 cores).
"""
import argparse
import json
import os
import os.path as osp
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)
REAL_CLIP = osp.join(REPO, '..', 'shared', 'data', 'real_video_2d', 'zzzhushi_male_side.mp4')
LIFTER = osp.join(REPO, 'configs', 'runningpose_tcn_243frm.py')
MMPOSE_LIFTER = 'mmpose::body_3d_keypoint/video_pose_lift/h36m/' \
    'video-pose-lift_tcn-243frm-supv_8xb128-160e_h36m.py'
MMPOSE_2D = 'mmpose::body_2d_keypoint/rtmpose/body8/rtmpose-m_8xb256-420e_body8-256x192.py'


def cap_detector(det_model) -> None:
    """Random weights: keep the detector's post-processing at a real clip's size."""
    cfg = det_model.bbox_head.test_cfg
    cfg.nms_pre, cfg.max_per_img, cfg.score_thr = 1000, 2, 0.0


def write_clip(source: str, frames: int, path: str) -> tuple:
    """The first ``frames`` frames of ``source`` (or a generated clip) as an MP4."""
    import cv2
    if source and osp.isfile(source):
        capture = cv2.VideoCapture(source)
        fps = capture.get(cv2.CAP_PROP_FPS)
        images = []
        while len(images) < frames:
            ok, img = capture.read()
            if not ok:
                break
            images.append(img)
        capture.release()
    else:
        from runningpose_mm.mocap import synthesize_run
        from runningpose_mm.mocap.cameras import Camera, look_at
        from runningpose_mm.skeleton import runningpose19
        fps = 30.0
        run = synthesize_run(duration_s=frames / fps, rate_hz=fps)
        cam = Camera('c', look_at([0, -5, 1], [0, 0, 1]), [0, -5, 1], [1000, 1000],
                     [640, 360], 1280, 720)
        kp = cam.project_world(run.joints_m - run.joints_m[:, :1] * [1, 1, 0])
        rng = np.random.default_rng(0)
        images = []
        for t in range(frames):
            img = rng.integers(90, 160, (720, 1280, 3), dtype=np.uint8)
            for a, b in runningpose19().links:
                cv2.line(img, tuple(int(v) for v in kp[t, a]), tuple(int(v) for v in kp[t, b]),
                         (30, 30, 30), 9)
            images.append(img)
    h, w = images[0].shape[:2]
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), fps, (w, h))
    for img in images:
        writer.write(img)
    writer.release()
    return len(images), (w, h), fps


def decode_rate(video: str) -> float:
    import cv2
    start = time.perf_counter()
    capture = cv2.VideoCapture(video)
    count = 0
    while capture.read()[0]:
        count += 1
    return count / (time.perf_counter() - start)


def run_path(args) -> dict:
    """One path, in this process; returns its stage seconds."""
    import torch
    torch.set_num_threads(args.threads)
    import runningpose_mm  # noqa: F401
    from runningpose_mm.apis.inferencer import RunningPoseInferencer, resolve_config
    out = dict(path=args.run)
    if args.run == 'mmpose':
        from mmpose.apis.inferencers import Pose3DInferencer
        inf = Pose3DInferencer(resolve_config(MMPOSE_LIFTER), None,
                               pose2d_model=resolve_config(MMPOSE_2D), pose2d_weights=None,
                               det_model=resolve_config(_detector_config()), det_weights=None,
                               det_cat_ids=0, device='cpu')
        cap_detector(inf.pose2d_model.detector.model)
        start = time.perf_counter()
        count = sum(len(r['predictions']) for r in inf(args.video, bbox_thr=0.0,
                                                        return_vis=False))
        out.update(frames=count, total=time.perf_counter() - start)
    else:
        inf = RunningPoseInferencer(LIFTER, 'random', pose2d=args.pose2d,
                                    pose2d_weights='random', det_model=args.det_model,
                                    det_weights='random', flip_test=not args.no_flip_test,
                                    det_interval=args.det_interval,
                                    batch_size=args.batch_size,
                                    per_frame_2d=args.run == 'per-frame')
        cap_detector(inf.pose2d.detector.model)
        inf.bbox_thr = 0.0
        # random keypoints never follow the runner: without this every frame would be
        # "lost" and detected again (with trained weights that is rare on a clean clip)
        inf.runner_2d.min_score = inf.runner_2d.min_iou = 0.0
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            result = inf.infer(args.video, pred_out_dir=tmp, show_progress=False)
            total = time.perf_counter() - start
        meta = result['predictions'].meta
        out.update(frames=result['predictions'].num_frames, total=total, **meta['seconds'])
        if args.run == 'fast':
            timings = inf.runner_2d.timings
            out.update(detect=timings.get('detect', 0.0), pose2d_model=timings.get('pose2d', 0.0),
                       detected_frames=inf.runner_2d.counts.get('detect', 0),
                       interval=inf.runner_2d.interval)
    out['peak_mb'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _detector_config():
    from runningpose_mm.apis.inferencer import _inference_models
    return _inference_models()['detector']['config']


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--video', default=REAL_CLIP,
                        help='video to time (default: the shared real treadmill clip, or a '
                        'generated 720p clip when absent)')
    parser.add_argument('--frames', type=int, default=150,
                        help='frames timed for our two paths')
    parser.add_argument('--mmpose-frames', type=int, default=30,
                        help="frames timed for MMPose's Pose3DInferencer (slow)")
    parser.add_argument('--det-interval', type=int,
                        help='fast path: detect every this many frames (default: 0.5 s)')
    parser.add_argument('--batch-size', type=int, default=8,
                        help='fast path: crops per 2D forward pass')
    parser.add_argument('--pose2d', default='halpe26',
                        help='our 2D model: halpe26 (RTMPose-m), halpe26-s, halpe26-t')
    parser.add_argument('--det-model', default='rtmdet-m',
                        help='our detector: rtmdet-m (default) or rtmdet-nano')
    parser.add_argument('--no-flip-test', action='store_true',
                        help='our 2D model without its mirrored second pass')
    parser.add_argument('--threads', type=int, default=2, help='torch threads')
    parser.add_argument('--paths', default='mmpose,per-frame,fast',
                        help='which paths to time (comma-separated)')
    parser.add_argument('--run', help=argparse.SUPPRESS)  # internal: one path, JSON out
    args = parser.parse_args()
    if args.run:
        print('RESULT ' + json.dumps(run_path(args)))
        return
    import runningpose_mm  # noqa: F401
    with tempfile.TemporaryDirectory() as tmp:
        clips = {}
        for name, count in (('ours', args.frames), ('mmpose', args.mmpose_frames)):
            path = osp.join(tmp, f'{name}.mp4')
            clips[name] = (path,) + write_clip(args.video, count, path)
        _, num, (w, h), fps = clips['ours']
        source = args.video if osp.isfile(args.video) else 'generated clip'
        print(f'clip: {source}, {w}x{h}, {fps:g} fps; {num} frames for our paths, '
              f"{clips['mmpose'][1]} for MMPose's; {args.threads} threads, random weights, "
              'detectors capped (nms_pre 1000, max_per_img 2)')
        print(f'ours: {args.pose2d}, {args.det_model}, flip test '
              f"{'off' if args.no_flip_test else 'on'}, detector every "
              f"{args.det_interval or '0.5 s of'} frames (fast path), {args.batch_size} "
              'crops per batch')
        decode = decode_rate(clips['ours'][0])
        results = {}
        for path in args.paths.split(','):
            clip = clips['mmpose' if path == 'mmpose' else 'ours'][0]
            cmd = [sys.executable, __file__, '--run', path, '--video', clip, '--batch-size',
                   str(args.batch_size), '--pose2d', args.pose2d, '--threads', str(args.threads),
                   '--det-model', args.det_model] + (['--no-flip-test'] if args.no_flip_test
                                                     else []) + \
                (['--det-interval', str(args.det_interval)] if args.det_interval else [])
            env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
            proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
            line = [x for x in proc.stdout.splitlines() if x.startswith('RESULT ')]
            if proc.returncode or not line:
                sys.exit(f'{path} failed:\n{proc.stderr[-3000:]}')
            results[path] = json.loads(line[0][len('RESULT '):])
    print_table(results, decode)


def print_table(results: dict, decode: float) -> None:
    def rate(frames, seconds):
        return f'{frames / seconds:8.1f}' if seconds else '       -'
    print(f'\ndecoding alone: {decode:.0f} frames/s\n')
    print(f'{"path":<11}{"frames":>7}{"detect":>9}{"2D":>9}{"lift":>9}{"write":>9}'
          f'{"whole":>9}{"x MMPose":>10}{"peak MB":>9}   (frames/s)')
    base = None
    for path, r in results.items():
        whole = r['frames'] / r['total']
        base = base or (whole if path == 'mmpose' else None)
        detect = r.get('detect')
        row = f'{path:<11}{r["frames"]:>7}'
        row += rate(r['frames'], detect) + ' ' if detect else '       - '
        row += rate(r['frames'], r.get('pose2d_model') or r.get('pose2d', 0)) + ' '
        row += rate(r['frames'], r.get('lifting', 0)) + ' '
        row += rate(r['frames'], r.get('writing', 0)) + ' '
        row += f'{whole:8.1f} ' + (f'{whole / base:9.1f}' if base else '        -')
        row += f'{r["peak_mb"]:9.0f}'
        print(row)
    fast = results.get('fast')
    if fast:
        share = {k: fast.get(k, 0) / fast['total'] for k in ('detect', 'pose2d_model',
                                                              'lifting', 'writing')}
        print(f"\nfast path: detector on {fast['detected_frames']} of {fast['frames']} frames "
              f"(every {fast['interval']}); "
              'share of its time: ' + ', '.join(f'{k} {v:.0%}' for k, v in share.items()))
    print('(mmpose: whole only, its stages are not separable; per-frame: "2D" includes '
          'detection and decoding)')


if __name__ == '__main__':
    main()
