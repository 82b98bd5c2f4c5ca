"""Lifting-stage speed: our whole-clip dilated pass vs MMPose's per-frame lifting path.

    python benchmarks/lifting_speed.py [--config configs/runningpose_tcn_243frm.py]
        [--mmpose-frames 300] [--minutes 10] [--fps 60]

Both paths use the same (random) weights and the same runningpose19 2D input: a
synthetic runner projected through a virtual camera.

- MMPose's path, as its 3D demo and Pose3DInferencer run it: for every frame,
  ``extract_pose_sequence`` cuts the window around it and ``inference_pose_lifter_model``
  lifts it (strided TCN, one window per frame). Timed on ``--mmpose-frames`` frames.
- Ours (``lift_clip``): keypoint resampling to the model rate, the training
  normalisation and one dilated pass over the whole clip (chunked with overlap), on a
  ``--minutes`` long clip.

Prints frames/s of each and their ratio (targets: >= 100x and >= 2,500 frames/s for the
243-frame model on 2 cores), and the peak memory of our pass.

The whole video pipeline (detector, 2D model, lifting) is timed by
``benchmarks/pipeline_speed.py``.
"""
import argparse
import os.path as osp
import resource
import sys
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import runningpose_mm  # noqa: E402,F401
from runningpose_mm.apis.lifting import WholeSequenceLifter  # noqa: E402
from runningpose_mm.apis.runner import load_config  # noqa: E402
from runningpose_mm.apis.video_lifting import lift_clip  # noqa: E402
from runningpose_mm.mocap import sample_virtual_cameras, synthesize_run  # noqa: E402


def mmpose_per_frame(config, state_dict, keypoints, image_size, frames):
    """MMPose's lifting path: one window per frame (returns frames/s)."""
    from mmengine.structures import InstanceData
    from mmpose.apis import extract_pose_sequence, inference_pose_lifter_model, init_model
    from mmpose.structures import PoseDataSample
    model = init_model(config, device='cpu')
    model.load_state_dict(state_dict)
    cfg = model.cfg
    seq_len = cfg.test_dataloader.dataset.seq_len
    results = []
    w, h = image_size
    for kp in keypoints[:frames]:
        sample = PoseDataSample()
        sample.pred_instances = InstanceData(
            keypoints=kp[None].astype(np.float32), keypoint_scores=np.ones((1, 19), np.float32),
            bboxes=np.array([[0, 0, w, h]], np.float32))
        sample.gt_instances = InstanceData()  # as the 2D stage leaves it
        sample.set_field(0, 'track_id')
        results.append([sample])
    start = time.perf_counter()
    for i in range(frames):
        window = extract_pose_sequence(results, frame_idx=i, causal=False, seq_len=seq_len,
                                       step=1)
        inference_pose_lifter_model(model, window, image_size=image_size)
    return frames / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=osp.join(REPO, 'configs', 'runningpose_tcn_243frm.py'),
                        help='lifter config (random weights)')
    parser.add_argument('--mmpose-frames', type=int, default=300,
                        help="frames timed through MMPose's per-frame path")
    parser.add_argument('--minutes', type=float, default=10.0,
                        help='length of the generated 2D sequence')
    parser.add_argument('--fps', type=float, default=60.0, help='video frame rate')
    args = parser.parse_args()
    import torch
    cfg = load_config(args.config)
    torch.manual_seed(0)
    lifter = WholeSequenceLifter(cfg.model)
    model_fps = 50.0
    seconds = args.minutes * 60
    run = synthesize_run(duration_s=seconds, rate_hz=args.fps)
    cam = sample_virtual_cameras(run.joints_m[:600], 1, np.random.default_rng(0))[0]
    keypoints = cam.project_world(run.joints_m - run.joints_m[:, :1] + run.joints_m[:1, :1])
    scores = np.ones(keypoints.shape[:2])
    size = (cam.w, cam.h)
    lift_clip(lifter, keypoints[:600], scores[:600], args.fps, size, model_fps)  # warm-up
    start = time.perf_counter()
    lifted = lift_clip(lifter, keypoints, scores, args.fps, size, model_fps)
    ours = len(keypoints) / (time.perf_counter() - start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    theirs = mmpose_per_frame(args.config, lifter.model.state_dict(), keypoints, size,
                              args.mmpose_frames)
    print(f'model: {osp.basename(args.config)} (receptive field {lifter.receptive_field} frames), '
          f'{torch.get_num_threads()} threads')
    print(f'MMPose per-frame path : {theirs:10,.1f} frames/s ({args.mmpose_frames} frames)')
    print(f'ours, whole clip      : {ours:10,.1f} frames/s ({len(keypoints)} video frames = '
          f'{args.minutes:g} min at {args.fps:g} fps, lifted at {model_fps:g} fps; '
          f'{lifted.valid.mean():.1%} valid)')
    print(f'ratio                 : {ours / theirs:10,.0f}x')
    print(f'peak memory (process) : {peak_mb:10,.0f} MB')


if __name__ == '__main__':
    main()
