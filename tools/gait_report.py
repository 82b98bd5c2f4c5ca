"""Running-gait report from a mocap file or saved 3D keypoints.

    python tools/gait_report.py INPUT [--marker-map MAP] [--out DIR] [--grf FILE.mot]

INPUT: a marker file (.txt Qualisys, .tsv QTM, .trc OpenSim, .c3d) with --marker-map
(runningpose_qualisys45, hamner_opensim or a YAML map); an .npz with ``joints_m``
(T, 19, 3) runningpose19 keypoints in metres, world frame with z up, and ``rate_hz``;
the .npz that tools/infer.py writes (camera-frame 3D, turned upright assuming an upright
camera); or a video (.mp4, .mov, .avi, ...) with --lifter-config/--lifter-weights, which
runs the video inferencer first (2D model and detector options as tools/infer.py).
With --grf (OpenSim .mot force plates) the detected contacts are compared with the
force-plate contacts. Writes gait.json, gait_steps.csv, PNG plots and report.html.
"""
import argparse
import os.path as osp
import sys
import warnings

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import numpy as np  # noqa: E402

from runningpose_mm.apis.inferencer import (add_inferencer_arguments,  # noqa: E402
                                            inferencer_from_args)
from runningpose_mm.gait import (GaitInputError, analyse_gait, match_events,  # noqa: E402
                                 upright_from_camera, write_report)
from runningpose_mm.mocap import (MarkerMap, MissingJointWarning, contacts_from_grf,  # noqa: E402
                                  joints_from_markers, read_markers)


VIDEO_EXTENSIONS = ('.mp4', '.mov', '.avi', '.mkv', '.webm', '.m4v')


def load_input(path, marker_map, args=None):
    ext = osp.splitext(path)[1].lower()
    if ext in VIDEO_EXTENSIONS:
        if not args.lifter_config:
            sys.exit(f'error: {path} is a video: give --lifter-config (and --lifter-weights)')
        lifted = inferencer_from_args(args).infer(path)['predictions']
        return upright_from_camera(lifted.keypoints_3d, lifted.root), lifted.fps, 0.0
    if ext == '.npz':
        with np.load(path) as data:
            if 'keypoints_3d' in data and 'fps' in data:  # tools/infer.py output
                root = data['root'] if 'root' in data else None
                return upright_from_camera(data['keypoints_3d'], root), float(data['fps']), 0.0
            if 'joints_m' not in data or 'rate_hz' not in data:
                sys.exit(f'error: {path}: an .npz input needs joints_m (T, 19, 3) and rate_hz, '
                         'or keypoints_3d and fps (tools/infer.py output)')
            return data['joints_m'], float(data['rate_hz']), 0.0
    if marker_map is None:
        sys.exit(f'error: {path} is a marker file: give --marker-map')
    markers = read_markers(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', MissingJointWarning)
        joints = joints_from_markers(markers, MarkerMap.load(marker_map))
    for w in caught:
        print(f'note: {w.message}')
    return joints.joints_m, joints.rate_hz, markers.metadata.get('start_time_s', 0.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('input')
    parser.add_argument('--marker-map')
    parser.add_argument('--out', help='output folder (default: <input>_gait)')
    parser.add_argument('--grf', help='OpenSim .mot force plates to validate contacts against')
    parser.add_argument('--title', default=None)
    add_inferencer_arguments(parser, lifter_required=False)  # for a video INPUT
    args = parser.parse_args(argv)
    if not osp.isfile(args.input):
        sys.exit(f'error: {args.input} does not exist')
    joints, rate, start_time = load_input(args.input, args.marker_map, args)
    try:
        analysis = analyse_gait(joints, rate)
    except GaitInputError as exc:
        sys.exit(f'error: {args.input}: {exc}')
    # default: next to the current directory, named after the input (inputs may be
    # read-only, e.g. shared data)
    out = args.out or osp.splitext(osp.basename(args.input))[0] + '_gait'
    paths = write_report(analysis, joints, rate, out, args.title or
                         f'Running gait: {osp.basename(args.input)}', args.input)
    s = analysis.summary
    for key in ('cadence_spm', 'contact_time_s', 'flight_time_s', 'duty_factor'):
        value = s.get(key)
        if value is not None:
            print(f"{key:<16} {value if isinstance(value, float) else value['mean']:.3f}")
    for w in analysis.warnings:
        print(f'note: {w}')
    if args.grf:
        truth = contacts_from_grf(args.grf)
        for side in ('left', 'right'):
            if side not in analysis.events.feet:
                continue
            found = analysis.events.feet[side].contacts_s
            ref = truth.contacts_s[side] - start_time
            ic, to = match_events(found[:, 0], ref[:, 0]), match_events(found[:, 1], ref[:, 1])
            print(f'{side}: initial contact error {1000 * np.mean(ic[:, 1] - ic[:, 0]):+.0f} ms '
                  f'(MAE {1000 * np.mean(np.abs(ic[:, 1] - ic[:, 0])):.0f}), toe-off '
                  f'{1000 * np.mean(to[:, 1] - to[:, 0]):+.0f} ms (MAE '
                  f'{1000 * np.mean(np.abs(to[:, 1] - to[:, 0])):.0f}), n={len(ic)}')
    print(f"report: {paths['html']}")


if __name__ == '__main__':
    main()
