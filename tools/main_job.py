"""The main job (README's first command): a full pass over what runningpose_mm does.

1. the runningpose19 skeleton as MMPose parses it;
2. a RunningPose dataset built from the shared real mocap when present (else only the
   synthetic runner), projected through virtual cameras;
3. the 19-keypoint TCN lifter run dilated over a whole generated 2D clip: output shape
   and speed;
4. a small lifter trained for a few minutes on that dataset with MMEngine's Runner and
   evaluated on the held-out test trial (MPJPE, P-MPJPE, N-MPJPE, MPJVE, per joint);
5. the released lifter (shipped in the package): its held-out accuracy on the Qualisys
   trial it never saw, and real running videos' 2D keypoints (MediaPipe, shared data)
   lifted to 3D and gait numbers, beside the cadence counted from the 2D alone.

    python tools/main_job.py [--work-dir work_dirs/main_job] [--shared-data ../shared/data]
"""
import argparse
import os
import os.path as osp
import sys
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import runningpose_mm  # noqa: E402
from runningpose_mm.apis.lifting import WholeSequenceLifter  # noqa: E402
from runningpose_mm.apis.runner import load_config  # noqa: E402
from runningpose_mm.mocap import sample_virtual_cameras, synthesize_run  # noqa: E402
from runningpose_mm.mocap.dataset_builder import (BuildConfig, build_dataset,  # noqa: E402
                                                  format_summary, shared_data_trials,
                                                  synthetic_trials)
from runningpose_mm.skeleton import metainfo  # noqa: E402


def section(title):
    print(f'\n=== {title} ===', flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'main_job'),
                        help='datasets, logs, checkpoints and reports')
    parser.add_argument('--shared-data', default=osp.join(osp.dirname(REPO), 'shared', 'data'),
                        help='folder of the real mocap and real-video 2D')
    parser.add_argument('--synthetic', type=int, default=24, help='synthetic training runners')
    parser.add_argument('--clip-seconds', type=float, default=120.0,
                        help='length of the generated clip for the lifting speed check')
    parser.add_argument('--train-minutes', type=float, default=4.0,
                        help='training budget of step 4 (whole epochs within it)')
    parser.add_argument('--cameras', type=int, default=6, help='virtual cameras per trial')
    args = parser.parse_args()
    os.makedirs(args.work_dir, exist_ok=True)

    import mmcv
    import mmengine
    import mmpose
    import torch
    print(f'runningpose_mm {runningpose_mm.__version__} | mmpose {mmpose.__version__} | '
          f'mmcv {mmcv.__version__} | mmengine {mmengine.__version__} | torch '
          f'{torch.__version__} | numpy {np.__version__} | threads {torch.get_num_threads()}')

    section('1. runningpose19 skeleton (MMPose metainfo)')
    info = metainfo()
    names = [info['keypoint_id2name'][i] for i in range(info['num_keypoints'])]
    print(f"{info['num_keypoints']} keypoints: {', '.join(names)}")
    print(f"flip indices: {info['flip_indices']}")

    section('2. RunningPose dataset')
    trials = shared_data_trials(args.shared_data)
    for trial in trials:
        if trial.model_upper_body:
            # RBDS's 30-s trials: one view each (1,500 frames, about the frames of the
            # whole-body trials' views), as the release's recipe gives them 20 to 320
            trial.num_cameras = 1
    if trials:
        print(f'real mocap: {len(trials)} trials from {args.shared_data}')
    else:
        print(f'no real mocap at {args.shared_data}: synthetic runner only '
              '(a model, not real data)')
    trials += synthetic_trials(args.synthetic, 'train', seed=0)
    trials += synthetic_trials(max(1, args.synthetic // 4), 'val', seed=1)
    if not any(t.split == 'test' for t in trials):
        trials += synthetic_trials(max(1, args.synthetic // 4), 'test', seed=2)
    data_dir = osp.join(args.work_dir, 'data')
    start = time.perf_counter()
    summary = build_dataset(trials, data_dir, BuildConfig(fps=50,
                                                          cameras_per_trial=args.cameras))
    print(format_summary(summary))
    print(f'built in {time.perf_counter() - start:.1f} s -> {data_dir}')

    section('3. 19-keypoint TCN lifter, whole clip in one dilated pass (random weights)')
    cfg = load_config(osp.join(REPO, 'configs', 'runningpose_tcn_243frm.py'))
    lifter = WholeSequenceLifter(cfg.model)
    run = synthesize_run(duration_s=args.clip_seconds, rate_hz=50.0)
    cam = sample_virtual_cameras(run.joints_m, 1, np.random.default_rng(0))[0]
    keypoints_2d = cam.project_world(run.joints_m)
    lifter(keypoints_2d[:300], (cam.w, cam.h))  # warm-up
    start = time.perf_counter()
    pose_3d = lifter(keypoints_2d, (cam.w, cam.h))
    seconds = time.perf_counter() - start
    print(f'input 2D {keypoints_2d.shape} px -> output 3D {pose_3d.shape} '
          f'(receptive field {lifter.receptive_field} frames)')
    print(f'{len(pose_3d)} frames in {seconds:.2f} s = {len(pose_3d) / seconds:,.0f} frames/s '
          f'on {torch.get_num_threads()} threads')

    section(f'4. train a small lifter for ~{args.train_minutes:g} min, test on the held-out trial')
    train_and_evaluate(data_dir, args.work_dir, args.train_minutes)

    section('5. the released lifter: held-out mocap and real videos')
    released_on_real_data(args.shared_data, args.work_dir)


def train_and_evaluate(data_dir: str, work_dir: str, minutes: float) -> dict:
    """Train a small 27-frame lifter within ``minutes`` and test it (step 4)."""
    from runningpose_mm.apis.runner import best_checkpoint, build_runner
    from runningpose_mm.evaluation import format_error_table
    config = osp.join(REPO, 'configs', 'runningpose_tcn_27frm.py')
    roots = [f'{split}_dataloader.dataset.data_root={data_dir}'
             for split in ('train', 'val', 'test')]
    # WARNING: MMEngine's INFO log dumps the config and hooks of every runner; the job
    # prints its own summary (full logs are in the work dir)
    small = ['model.backbone.stem_channels=256', 'model.head.in_channels=256',
             'default_hooks.logger.interval=100', 'log_level=WARNING']
    # one timed epoch sets how many fit in the budget
    probe = build_runner(config, work_dir=osp.join(work_dir, 'train'),
                         cfg_options=roots + small + ['train_cfg.max_epochs=1',
                                                      'train_cfg.val_interval=1'])
    start = time.perf_counter()
    probe.train()
    epoch_s = time.perf_counter() - start
    epochs = max(2, int(minutes * 60 / epoch_s))
    print(f'one epoch: {epoch_s:.0f} s -> training {epochs} epochs', flush=True)
    runner = build_runner(config, work_dir=osp.join(work_dir, 'train'), cfg_options=roots + small + [
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={max(1, epochs // 4)}',
        f'param_scheduler.0.end={epochs}', 'param_scheduler.0.gamma=0.85'])
    runner.train()
    val = runner.message_hub.log_scalars.get('val/MPJPE')
    if val is not None:
        print('validation MPJPE by evaluation (mm): ' +
              ', '.join(f'{v:.1f}' for v in val.data[0]), flush=True)
    losses = runner.message_hub.log_scalars['train/loss'].data[0]
    print(f'training loss: first 50 iterations {np.mean(losses[:50]):.3f} m, last 50 '
          f'{np.mean(losses[-50:]):.3f} m', flush=True)
    best = best_checkpoint(runner)
    tester = build_runner(config, work_dir=osp.join(work_dir, 'test'),
                          cfg_options=roots + small, load_from=best)
    metrics = tester.test()
    print(f'test trial(s), checkpoint {osp.basename(best)}:')
    print(format_error_table(metrics))
    return metrics


def released_on_real_data(shared_data: str, work_dir: str) -> None:
    """Step 5: the released lifter on a held-out mocap trial and on real detector 2D."""
    import torch

    from runningpose_mm.apis.inferencer import RunningPoseInferencer
    from runningpose_mm.apis.keypoint_conversion import to_runningpose19
    from runningpose_mm.apis.keypoint_files import read_keypoints_2d
    from runningpose_mm.apis.released import RELEASED_WEIGHTS, held_out_check
    from runningpose_mm.gait import cadence_from_2d, gait_report_from_lifted
    inferencer = RunningPoseInferencer(pose2d=None)
    released = torch.load(RELEASED_WEIGHTS, map_location='cpu',
                          weights_only=False)['meta']['released']
    print(f'released lifter: {osp.relpath(RELEASED_WEIGHTS, REPO)}, '
          f'{len(inferencer.lifter.members)} member(s), {inferencer.model_fps:g} fps, '
          f'receptive field {inferencer.lifter.receptive_field} frames; model card: '
          'runningpose_mm/released/MODEL_CARD.md')
    for name, metrics in released.get('tests', {}).items():
        print(f"  model card, {released['hold_out']} with {name} 2D: MPJPE "
              f"{metrics['MPJPE']:.1f} mm, P-MPJPE {metrics['P-MPJPE']:.1f} mm, feet "
              f"{metrics['MPJPE/feet']:.1f} mm")
    if not osp.isdir(osp.join(shared_data, 'qualisys_tindra')):
        print(f'no shared data at {shared_data}: real-data checks skipped')
        return
    check = held_out_check(inferencer.lifter, shared_data)
    print(f"  measured now on Tindra2 (never trained on), {check['cameras']} virtual cameras, "
          f"{check['frames']} frames: MPJPE {check['mpjpe_mm']:.1f} mm, P-MPJPE "
          f"{check['p_mpjpe_mm']:.1f} mm")
    for clip in ('zzzhushi_male_side', 'sports2d_demo3'):
        path = osp.join(shared_data, 'real_video_2d', f'{clip}.npz')
        if not osp.isfile(path):
            continue
        lifted = inferencer.lift_keypoints(path)['predictions']
        data = read_keypoints_2d(path)
        kp19, _ = to_runningpose19(data.keypoints, data.scores, data.keypoint_set)
        analysis, paths = gait_report_from_lifted(
            lifted, osp.join(work_dir, 'real_video', clip), f'Running gait: {clip}', path)
        s = analysis.summary
        mean = {k: s[k]['mean'] if k in s else float('nan')
                for k in ('contact_time_s', 'flight_time_s')}
        print(f"  {clip}: {lifted.num_frames} frames at {data.fps:g} fps, 3D for "
              f"{int(lifted.valid.sum())}; left/right swaps undone "
              f"{lifted.meta['left_right_swaps_fixed']}; cadence 3D "
              f"{s.get('cadence_spm', float('nan')):.1f} vs 2D "
              f"{cadence_from_2d(kp19, data.fps):.1f} steps/min; contact "
              f"{1000 * mean['contact_time_s']:.0f} ms, flight "
              f"{1000 * mean['flight_time_s']:.0f} ms -> {osp.relpath(paths['html'], REPO)}")
        factors = lifted.meta.get('bone_length_factors', {})
        largest = sorted(factors.items(), key=lambda kv: -abs(kv[1] - 1))[:4]
        print('    left/right bones given one length; largest changes: ' +
              (', '.join(f'{bone} x{f:.2f}' for bone, f in largest) or 'none'))


if __name__ == '__main__':
    main()
