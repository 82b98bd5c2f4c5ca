"""Lifted-sequence files: NPZ, CSV, JSON, and TRC/C3D that our mocap readers read back."""
import json

import numpy as np

from runningpose_mm.apis.outputs import LiftedSequence, write_all
from runningpose_mm.mocap import read_c3d, read_trc, synthesize_run
from runningpose_mm.skeleton import runningpose19


def _sequence():
    joints = synthesize_run(duration_s=0.5, rate_hz=50).joints_m  # world z up
    cam = np.stack([joints[..., 1], -joints[..., 2], joints[..., 0] + 6.0], -1)  # camera
    kp2d = cam[..., :2] / cam[..., 2:] * 1000 + [960, 540]
    seq = LiftedSequence(cam, 50.0, kp2d, np.full(cam.shape[:2], 0.9),
                         meta=dict(video='clip.mp4'))
    seq.valid[3] = False
    return seq


def test_all_formats_round_trip(tmp_path):
    seq = _sequence()
    paths = write_all(seq, str(tmp_path / 'run'))
    npz = np.load(paths['npz'])
    np.testing.assert_allclose(npz['keypoints_3d'], seq.keypoints_3d, rtol=1e-6)
    assert list(npz['keypoint_names']) == list(runningpose19().names)
    rows = open(paths['csv']).read().splitlines()
    assert len(rows) == seq.num_frames + 1 and rows[0].startswith('frame,time_s,valid,root_x')
    data = json.load(open(paths['json']))
    assert data['meta_info']['dataset_name'] == 'runningpose19'
    assert data['instance_info'][3]['instances'] == []
    np.testing.assert_allclose(data['instance_info'][0]['instances'][0]['keypoints'],
                               seq.keypoints_3d[0])
    # biomechanics files: mm, y up = (x, -y, -z) of the camera frame
    expected = np.stack([seq.keypoints_3d[..., 0], -seq.keypoints_3d[..., 1],
                         -seq.keypoints_3d[..., 2]], -1) * 1000
    for reader, ext in ((read_trc, 'trc'), (read_c3d, 'c3d')):
        markers = reader(paths[ext])
        assert markers.names == list(runningpose19().names) and markers.rate_hz == 50
        ok = np.arange(seq.num_frames) != 3
        np.testing.assert_allclose(markers.positions[ok], expected[ok], atol=1e-2)
        assert np.isnan(markers.positions[3]).all()
        # upright: the head is above the forefeet in the y-up file
        head, fore = runningpose19().index('head'), runningpose19().index('left_forefoot')
        assert (markers.positions[ok, head, 1] > markers.positions[ok, fore, 1]).all()
