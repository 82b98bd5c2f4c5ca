"""Cameras: projection, virtual rigs around real and synthetic runners, calibrated JSON."""

import numpy as np
import pytest

from runningpose_mm.mocap import (Camera, MarkerMap, RunnerParams, VirtualRigConfig,
                                  joints_from_markers, load_calibrated_cameras,
                                  read_markers, sample_virtual_cameras, synthesize_run)
from runningpose_mm.mocap.cameras import look_at
from runningpose_mm.mocap.dataset_builder import (BuildConfig, project_sequence,
                                                  select_camera_views)
from runningpose_mm.skeleton import runningpose19
from runningpose_mm.visualization import draw_contact_sheet

from conftest import shared_file


def test_pinhole_projection_and_round_trip():
    cam = Camera('c', look_at([0, -5, 1], [0, 0, 1]), [0, -5, 1], [1000, 1000], [960, 540],
                 1920, 1080)
    # a point 1 m right of and 0.5 m above the aim point, 5 m away
    uv = cam.project_world(np.array([1.0, 0.0, 1.5]))
    np.testing.assert_allclose(uv, [960 + 200, 540 - 100])
    p = np.array([[0.3, 2.0, 0.2]])
    np.testing.assert_allclose(cam.camera_to_world(cam.world_to_camera(p)), p)


def test_a_panning_camera_keeps_the_runner_at_one_image_column():
    """An overground runner passing a camera 6 m away: a static camera sees the pelvis
    cross most of the image; the same camera panning keeps it at its first column, its
    height in the image still rises and falls, and the body is unchanged (a rotation)."""
    run = synthesize_run(RunnerParams(speed_mps=5.0, treadmill=False), 2.0, 50)
    joints = run.joints_m - [5.0, 0.0, 0.0]  # from 5 m before the camera to 5 m after
    cam = Camera('c', look_at([0, -6, 1.2], [0, 0, 1.0]), [0, -6, 1.2], [1000, 1000],
                 [960, 540], 1920, 1080)
    static = cam.project_world(joints)
    panned3d = cam.follow_with_yaw(joints)
    panned = cam.project(panned3d)
    assert np.ptp(static[:, 0, 0]) > 1000
    # (exactly for a level camera; this one looks 2 deg down and the pelvis bobs)
    assert np.ptp(panned[:, 0, 0]) < 2 and panned[0, 0, 0] == pytest.approx(static[0, 0, 0])
    assert np.ptp(panned[:, 0, 1]) > 5  # the pelvis still bobs
    np.testing.assert_allclose(panned3d[0], cam.world_to_camera(joints[0]), atol=1e-12)
    sk = runningpose19()
    for name, length in sk.bone_lengths(panned3d).items():
        np.testing.assert_allclose(length, sk.bone_lengths(joints)[name], atol=1e-9)


def test_distortion_moves_points_radially():
    cam = Camera('c', np.eye(3), [0, 0, 0], [1000, 1000], [500, 500], 1000, 1000,
                 k=[0.1, 0, 0])
    uv = cam.project(np.array([[0.2, 0.0, 1.0]]))[0]
    np.testing.assert_allclose(uv, [500 + 1000 * 0.2 * (1 + 0.1 * 0.04), 500])


def _check_upright_and_sized(joints_world, rng, panels, title):
    """Virtual views as the dataset builder selects them (whole runner in view)."""
    sk = runningpose19()
    head, feet = sk.index('head'), [sk.index('left_forefoot'), sk.index('right_forefoot')]
    visible = np.isfinite(joints_world).all(axis=-1)
    views = select_camera_views(joints_world, visible, BuildConfig(
        cameras_per_trial=6, min_frames_in_view=10), rng, title)
    for cam, frames in views:
        cam3d, kp2d, vis3d, vis2d = project_sequence(joints_world[frames], visible[frames],
                                                     cam)
        joints = joints_world[frames]
        t = np.arange(len(joints))
        assert len(t) >= 10 and vis2d[vis3d].all()
        if visible[t, head].all():
            # image y grows downwards: the head is above (smaller y than) both feet
            assert np.all(kp2d[t, head, 1] < kp2d[t][:, feet, 1].min(axis=1))
        # person height in pixels matches f * height / depth (pinhole), within 25 %
        height_px = np.nanmax(kp2d[t][..., 1], axis=1) - np.nanmin(kp2d[t][..., 1], axis=1)
        height_m = np.nanmax(joints[..., 2], axis=1) - np.nanmin(joints[..., 2], axis=1)
        expected = cam.f[1] * height_m / cam3d[t, 0, 2]
        assert np.median(np.abs(height_px / expected - 1)) < 0.25
        assert 0.05 * cam.h < np.median(height_px) < cam.h
        panels.append(dict(keypoints=kp2d[t], visible=vis2d[t], w=cam.w, h=cam.h,
                           title=f'{title} {cam.name}'))


def test_real_and_synthetic_skeletons_project_upright_inside_the_image(tmp_path, rng):
    panels = []
    run = synthesize_run(duration_s=3.0, rate_hz=50)
    _check_upright_and_sized(run.joints_m, rng, panels, 'synthetic')
    path = shared_file('qualisys_tindra', 'Tindra2.txt')
    joints = joints_from_markers(read_markers(path), MarkerMap.load('runningpose_qualisys45'))
    _check_upright_and_sized(joints.joints_m[::4], rng, panels, 'Tindra2')
    out = draw_contact_sheet(panels, str(tmp_path / 'contact_sheet.png'))
    import matplotlib.image as mpimg
    img = mpimg.imread(out)
    assert img.shape[0] > 100 and img[..., :3].std() > 0.01  # something was drawn


def test_virtual_views_cover_side_oblique_front_and_back(rng):
    run = synthesize_run(duration_s=2.0, rate_hz=50)
    cams = sample_virtual_cameras(run.joints_m, 200, rng)
    # azimuth of each camera around the runner, relative to the running direction (+x)
    azimuth = np.degrees(np.arctan2([c.T[1] - run.joints_m[:, 0, 1].mean() for c in cams],
                                    [c.T[0] - run.joints_m[len(run.joints_m) // 2, 0, 0]
                                     for c in cams]))
    a = np.abs(azimuth)
    assert ((a > 70) & (a < 110)).mean() > 0.2        # side
    assert (a < 25).mean() > 0.02 and (a > 155).mean() > 0.02  # front and back


def test_miqus_calibration_json(tmp_path):
    path = shared_file('qualisys_tindra', 'miqus_cameras.json')
    with pytest.warns(UserWarning, match='miqusVideo2: principal point'):
        cams = load_calibrated_cameras(path)
    assert [c.name for c in cams] == ['miqusVideo1', 'miqusVideo3']
    for cam in cams:
        assert 0 < cam.c[0] < cam.w and 0 < cam.c[1] < cam.h
        assert 1000 < cam.f[0] < 3000  # sub-pixel units divided by 64
        np.testing.assert_allclose(cam.R @ cam.R.T, np.eye(3), atol=1e-3)


def test_miqus_calibration_projects_the_real_runner_upright_into_the_image():
    """The file's rotation convention was unverified; this is the check: with R as
    world-to-camera and QTM's camera looking along -z, the Tindra skeleton lands upright
    and mostly inside the 1920x1080 images of the two usable cameras."""
    cams = load_calibrated_cameras(shared_file('qualisys_tindra', 'miqus_cameras.json'))
    joints = joints_from_markers(read_markers(shared_file('qualisys_tindra', 'Tindra1.txt')),
                                 MarkerMap.load('runningpose_qualisys45')).joints_m
    sk = runningpose19()
    for cam in cams:
        cam3d, kp2d, vis3d, vis2d = project_sequence(joints, np.ones(joints.shape[:2], bool),
                                                     cam)
        assert (cam3d[..., 2] > 0).all()
        assert vis2d.mean() > 0.8
        assert (kp2d[:, sk.index('head'), 1] < kp2d[:, sk.index('left_forefoot'), 1]).all()


def test_virtual_cameras_frame_the_runner_off_centre_and_keep_them_inside(rng):
    """Phone footage rarely centres the runner: virtual cameras turn so the runner sits
    anywhere that keeps them in the frame (a lifter that only saw centred runners failed
    on a real clip whose runner stands in the lower part of a portrait video)."""
    run = synthesize_run(RunnerParams(treadmill=True), 2.0, 50)
    offsets = []
    for camera in sample_virtual_cameras(run.joints_m, 40, rng):
        kp = camera.project_world(run.joints_m)
        inside = (kp[..., 0] >= 0) & (kp[..., 0] < camera.w) & (kp[..., 1] >= 0) & \
            (kp[..., 1] < camera.h)
        assert inside.mean() > 0.95  # (the builder keeps only frames wholly inside)
        centre = np.nanmean(kp, axis=(0, 1))
        offsets.append((centre - [camera.w / 2, camera.h / 2]) / [camera.w / 2, camera.h / 2])
    offsets = np.abs(np.array(offsets))
    assert np.median(offsets[:, 1]) > 0.05 and offsets[:, 1].max() > 0.2
    assert np.median(offsets[:, 0]) > 0.05
    centred = sample_virtual_cameras(run.joints_m, 5, rng, VirtualRigConfig(off_centre=0.0))
    for camera in centred:
        centre = camera.project_world(run.joints_m[:1, :1])[0, 0]
        np.testing.assert_allclose(centre[1], camera.h / 2, atol=0.2 * camera.h)
