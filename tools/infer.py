"""3D running pose from a video or from 2D keypoints you already have: all outputs into
one folder.

    python tools/infer.py VIDEO [--out OUT] [--gait]
    python tools/infer.py --keypoints FILE [--fps 30] [--image-size 1280 720] [--gait]

Without --lifter-config/--lifter-weights the released runningpose19 lifter is used.
VIDEO: detector + 2D model with feet (Halpe-26 RTMPose by default; weights default to
the standard OpenMMLab files, offline pass local paths) -> runningpose19 -> 3D.
--keypoints FILE: MMPose prediction JSON, an NPZ (keypoints (T, K, 2), scores (T, K),
optional fps/width/height/names) or a CSV (<name>_x, <name>_y[, <name>_score] columns)
of Halpe-26, COCO-WholeBody or MediaPipe/BlazePose 33 keypoints; frame rate and image
size from the file or the options.

Writes OUT/<name>.{npz,csv,json,trc,c3d}, for videos OUT/<name>_vis.mp4 (2D beside 3D)
and OUT/<name>_still.png, and with --gait OUT/gait/ (report.html, gait.json, CSV, plots).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import runningpose_mm  # noqa: E402,F401
from runningpose_mm.apis.inferencer import (add_inferencer_arguments,  # noqa: E402
                                            inferencer_from_args, input_errors)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('video', nargs='?', help='the video to analyse (or use --keypoints)')
    parser.add_argument('--keypoints', metavar='FILE',
                        help='lift 2D keypoints from this file instead of a video')
    parser.add_argument('--keypoint-set', choices=['halpe26', 'coco_wholebody', 'mediapipe33'],
                        help='keypoint set of --keypoints when the file does not say')
    parser.add_argument('--image-size', nargs=2, type=int, metavar=('W', 'H'),
                        help='image size of --keypoints in pixels, when the file does not say')
    parser.add_argument('--fps', type=float,
                        help='frame rate of the video or keypoint file (overrides the '
                        "video's; required for keypoint files that do not carry it)")
    parser.add_argument('--out', help='output folder (default: <name>_runningpose)')
    parser.add_argument('--no-vis', action='store_true', help='no video or still picture')
    parser.add_argument('--gait', action='store_true',
                        help='also write the running-gait report (OUT/gait/report.html)')
    add_inferencer_arguments(parser)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.video is None) == (args.keypoints is None):
        parser.error('give a VIDEO or --keypoints FILE (one of them)')
    source = args.video or args.keypoints
    out = args.out or osp.splitext(osp.basename(source))[0] + '_runningpose'
    try:
        inferencer = inferencer_from_args(args, with_2d=args.video is not None)
        if args.video:
            result = inferencer.infer(args.video, fps=args.fps, pred_out_dir=out,
                                      vis_out_dir=None if args.no_vis else out)
        else:
            result = inferencer.lift_keypoints(args.keypoints, args.fps, args.image_size,
                                               args.keypoint_set, pred_out_dir=out)
        lifted = result['predictions']
        print(f'{lifted.num_frames} frames at {result["fps"]:g} fps, runner found in '
              f'{lifted.meta["frames_with_runner"]}, 3D for {int(lifted.valid.sum())} '
              f'(lifter trained at {inferencer.model_fps:g} fps)')
        seconds = lifted.meta.get('seconds')
        if seconds:
            detect = lifted.meta.get('det_interval')
            print(f"2D stage {lifted.num_frames / seconds['pose2d']:.1f} frames/s"
                  + (f' (people detected every {detect} frames, '
                     f"{lifted.meta['frames_detected_again']} detected again)" if detect
                     else ' (per frame)')
                  + f", lifting {seconds['lifting']:.1f} s, writing {seconds['writing']:.1f} s")
        swaps = lifted.meta.get('left_right_swaps_fixed', {})
        if swaps:
            print('left/right swaps undone: ' + ', '.join(f'{k} in {v} frames'
                                                          for k, v in swaps.items()))
        for note in result.get('notes', []):
            print(f'note: {note}')
        for kind, path in result['files'].items():
            print(f'  {kind:<6} {path}')
        if args.gait:
            from runningpose_mm.gait import gait_report_from_lifted
            analysis, paths = gait_report_from_lifted(lifted, osp.join(out, 'gait'),
                                                      title=f'Running gait: {osp.basename(source)}',
                                                      source=source)
            print(analysis.format_summary())
            print(f"  report {paths['html']}")
    except input_errors() as exc:
        sys.exit(f'error: {exc}')


if __name__ == '__main__':
    main()
