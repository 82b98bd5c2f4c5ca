"""3D running pose from a video: all outputs into one folder.

    python tools/infer.py VIDEO --lifter-config configs/runningpose_tcn.py \
        --lifter-weights work_dirs/runningpose_tcn/best_MPJPE_epoch_60.pth [--out OUT]
        [--pose2d halpe26|wholebody|CONFIG] [--pose2d-weights PATH_OR_URL]
        [--det-model CONFIG|whole_image] [--det-weights PATH_OR_URL] [--model-fps 50]
        [--no-vis] [--gait]

Writes OUT/<video>.{npz,csv,json,trc,c3d}, OUT/<video>_vis.mp4 (2D beside 3D) and
OUT/<video>_still.png; with --gait also OUT/gait/report.html (needs a root trajectory
or a treadmill-like view for speed; events and angles work from root-relative 3D).
Weights default to the standard OpenMMLab files; offline, pass local paths.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import runningpose_mm  # noqa: E402,F401
from runningpose_mm.apis.inferencer import (VideoInputError,  # noqa: E402
                                            WeightsUnavailableError, add_inferencer_arguments,
                                            inferencer_from_args)
from runningpose_mm.apis.keypoint_conversion import NoFootKeypointsError  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('video')
    add_inferencer_arguments(parser)
    parser.add_argument('--fps', type=float, help='override the video frame rate')
    parser.add_argument('--out', help='output folder (default: <video name>_runningpose)')
    parser.add_argument('--no-vis', action='store_true')
    args = parser.parse_args(argv)
    out = args.out or osp.splitext(osp.basename(args.video))[0] + '_runningpose'
    try:
        inferencer = inferencer_from_args(args)
        result = inferencer.infer(args.video, fps=args.fps, pred_out_dir=out,
                            vis_out_dir=None if args.no_vis else out)
    except (VideoInputError, WeightsUnavailableError, NoFootKeypointsError,
            FileNotFoundError) as exc:
        sys.exit(f'error: {exc}')
    lifted = result['predictions']
    print(f'{lifted.num_frames} frames at {result["fps"]:g} fps, runner found in '
          f'{lifted.meta["frames_with_runner"]}, 3D for {int(lifted.valid.sum())}')
    for kind, path in result['files'].items():
        print(f'  {kind:<6} {path}')


if __name__ == '__main__':
    main()
