"""Running-gait report from a mocap file or saved 3D keypoints.

    python tools/gait_report.py INPUT [--marker-map MAP] [--out DIR] [--grf FILE]

INPUT: a marker file (.txt Qualisys or marker table, .tsv QTM, .trc OpenSim, .c3d) with
--marker-map (runningpose_qualisys45, hamner_opensim, rbds_lowerbody or a YAML map); an
.npz with ``joints_m`` (T, 19, 3) runningpose19 keypoints in metres, world frame with z
up, and ``rate_hz``; the .npz that tools/infer.py writes (camera-frame 3D, turned upright
assuming an upright camera); a video (.mp4, .mov, .avi, ...), which runs the video
inferencer first (the released lifter unless --lifter-config/--lifter-weights; 2D model
and detector options as tools/infer.py); or 2D keypoints (--keypoints-input: MMPose JSON,
NPZ or CSV, as tools/infer.py --keypoints), lifted first.
With --grf (force plates: OpenSim .mot, an RBDS force table with --grf-rate, C3D
platforms) the detected contacts are compared with the force-plate contacts, in the
report too. Writes gait.json, gait_steps.csv, PNG plots and report.html.
"""
import argparse
import os.path as osp
import sys
import warnings

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import numpy as np  # noqa: E402

from runningpose_mm.apis.inferencer import (add_inferencer_arguments,  # noqa: E402
                                            inferencer_from_args, input_errors)
from runningpose_mm.apis.keypoint_files import KEYPOINT_FILE_EXTENSIONS  # noqa: E402
from runningpose_mm.gait import (GaitInputError, analyse_gait, compare_with_reference,  # noqa: E402
                                 upright_from_camera, upright_lifted, write_report)
from runningpose_mm.mocap import (JointData, MarkerMap, MissingJointWarning,  # noqa: E402
                                  contacts_from_grf, joints_from_markers, read_markers)


VIDEO_EXTENSIONS = ('.mp4', '.mov', '.avi', '.mkv', '.webm', '.m4v')


def load_input(path, marker_map, args=None):
    """(joints (T, 19, 3) metres z up, rate, start time, the events' frame: 'pelvis' for
    lifted 3D, 'auto' for mocap)."""
    ext = osp.splitext(path)[1].lower()
    if ext in VIDEO_EXTENSIONS or (args.keypoints_input and ext in KEYPOINT_FILE_EXTENSIONS):
        inferencer = inferencer_from_args(args, with_2d=ext in VIDEO_EXTENSIONS)
        result = inferencer.infer(path) if ext in VIDEO_EXTENSIONS else \
            inferencer.lift_keypoints(path, args.fps, args.image_size)
        lifted = result['predictions']
        return upright_lifted(lifted), lifted.fps, 0.0, 'pelvis'
    if ext == '.npz':
        with np.load(path) as data:
            if 'keypoints_3d' in data and 'fps' in data:  # tools/infer.py output
                root = data['root'] if 'root' in data else None
                return upright_from_camera(data['keypoints_3d'], root), float(data['fps']), 0.0, \
                    'pelvis'
            if 'joints_m' not in data or 'rate_hz' not in data:
                sys.exit(f'error: {path}: an .npz input needs joints_m (T, 19, 3) and rate_hz, '
                         'or keypoints_3d and fps (tools/infer.py output)')
            return data['joints_m'], float(data['rate_hz']), 0.0, 'auto'
    if marker_map is None:
        sys.exit(f'error: {path} is a marker file: give --marker-map')
    rate = dict(rate_hz=args.rate) if args.rate else {}
    if args.rate and ext != '.txt':
        sys.exit(f'error: {path}: --rate is for marker files that store no frame rate '
                 '(Qualisys .txt); this file has its own')
    with warnings.catch_warnings(record=True) as assumed:
        warnings.simplefilter('always')
        markers = read_markers(path, **rate)
    for w in assumed:
        print(f'note: {w.message}')
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always', MissingJointWarning)
        joints = joints_from_markers(markers, MarkerMap.load(marker_map))
    for w in caught:
        print(f'note: {w.message}')
    return joints.joints_m, joints.rate_hz, markers.metadata.get('start_time_s', 0.0), 'auto'


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('input', help='marker file, 3D .npz, video, or (with '
                        '--keypoints-input) a 2D keypoint file')
    parser.add_argument('--marker-map', help='marker map of a marker file (a shipped name or '
                        'a YAML file)')
    parser.add_argument('--rate', type=float, help='frame rate of a marker file that stores '
                        'none (Qualisys .txt; default 170 Hz, with a note)')
    parser.add_argument('--keypoints-input', action='store_true',
                        help='INPUT is a 2D keypoint file (.json/.npz/.csv) to lift first')
    parser.add_argument('--fps', type=float, help='frame rate of a keypoint file that does not '
                        'carry it')
    parser.add_argument('--image-size', nargs=2, type=int, metavar=('W', 'H'),
                        help='image size of a keypoint file that does not carry it')
    parser.add_argument('--out', help='output folder (default: <input>_gait)')
    parser.add_argument('--grf', help='force plates to validate contacts against: OpenSim '
                        '.mot (R_/L_ or numbered plates), a force table .txt (RBDS) or the '
                        'force platforms of a .c3d; a plate under both feet gives each contact '
                        'to the foot on the ground')
    parser.add_argument('--grf-rate', type=float, help='sampling rate of a force file whose '
                        'time column counts samples (RBDS force tables: 300)')
    parser.add_argument('--grf-plates', nargs='+', metavar='PLATE=SIDE', default=None,
                        help='the foot on each plate, e.g. ground_force_1_vy=right '
                        'ground_force_2_vy=left (default: from the column names, else the '
                        'foot on the ground)')
    parser.add_argument('--title', default=None, help='title of the HTML report')
    add_inferencer_arguments(parser)  # for a video or keypoint INPUT
    args = parser.parse_args(argv)
    if not osp.isfile(args.input):
        sys.exit(f'error: {args.input} does not exist')
    try:
        joints, rate, start_time, events_frame = load_input(args.input, args.marker_map, args)
        # lifted 3D: events pelvis-relative even with a trajectory (analyse_gait)
        analysis = analyse_gait(joints, rate, events_frame=events_frame)
    except GaitInputError as exc:
        sys.exit(f'error: {args.input}: {exc}')
    except input_errors() as exc:
        sys.exit(f'error: {exc}')
    # default: next to the current directory, named after the input (inputs may be
    # read-only, e.g. shared data)
    out = args.out or osp.splitext(osp.basename(args.input))[0] + '_gait'
    reference = None
    if args.grf:
        try:
            plate_sides = dict(item.partition('=')[::2] for item in args.grf_plates or [])
            truth = contacts_from_grf(args.grf, rate_hz=args.grf_rate, joints=JointData(
                joints, np.isfinite(joints).all(-1), rate, args.input,
                start_time_s=start_time), plate_sides=plate_sides)
        except input_errors() + (ValueError,) as exc:  # ValueError: a bad --grf-plates side
            sys.exit(f'error: {exc}')
        reference = {side: c - start_time for side, c in truth.contacts_s.items()}
    paths = write_report(analysis, joints, rate, out, args.title or
                         f'Running gait: {osp.basename(args.input)}', args.input,
                         reference=reference, reference_source=args.grf or '')
    print(analysis.format_summary())
    for w in analysis.warnings:
        print(f'note: {w}')
    def ms(e):
        return f'{1000 * np.mean(e):+.0f} ms (MAE {1000 * np.mean(np.abs(e)):.0f})'
    if reference is not None:
        for side, v in compare_with_reference(analysis.events, reference).items():
            if not v['matched']:
                print(f'{side}: none of the {v["n"]} force-plate contacts was detected')
                continue
            print(f'{side}: initial contact {ms(v["ic_error_s"])}, toe-off '
                  f'{ms(v["to_error_s"])}, contact time {ms(v["contact_error_s"])}; '
                  f'{v["matched"]} of {v["n"]} force-plate contacts matched')
    print(f"report: {paths['html']}")


if __name__ == '__main__':
    main()
