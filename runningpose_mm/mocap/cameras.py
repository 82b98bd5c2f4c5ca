"""Pinhole cameras (with Brown-Conrady distortion), virtual camera rigs around a running
path, calibrated cameras from JSON, and projection.

Convention (as Human3.6M in MMPose): a world point X (metres) is ``X_cam = R (X - T)``
in the camera frame (x right, y down, z forward), then ``u = f x/z + c`` in pixels.
"""
import json
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..skeleton import runningpose19


@dataclass
class Camera:
    """One camera.

    Attributes:
        name (str): identifier.
        R (np.ndarray): (3, 3) world-to-camera rotation.
        T (np.ndarray): (3,) camera centre in the world frame, metres.
        f (np.ndarray): (2,) focal lengths in pixels. c (np.ndarray): (2,) principal point.
        w, h (int): image size in pixels. fps (float): frame rate.
        k (np.ndarray): (3,) radial distortion. p (np.ndarray): (2,) tangential distortion.
    """
    name: str
    R: np.ndarray
    T: np.ndarray
    f: np.ndarray
    c: np.ndarray
    w: int
    h: int
    fps: float = 60.0
    k: np.ndarray = field(default_factory=lambda: np.zeros(3))
    p: np.ndarray = field(default_factory=lambda: np.zeros(2))

    def __post_init__(self):
        self.R = np.asarray(self.R, dtype=np.float64).reshape(3, 3)
        self.T = np.asarray(self.T, dtype=np.float64).reshape(3)
        self.f = np.asarray(self.f, dtype=np.float64).reshape(2)
        self.c = np.asarray(self.c, dtype=np.float64).reshape(2)
        self.k = np.asarray(self.k, dtype=np.float64).reshape(3)
        self.p = np.asarray(self.p, dtype=np.float64).reshape(2)

    def world_to_camera(self, points_world: np.ndarray) -> np.ndarray:
        """(..., 3) world metres -> (..., 3) camera frame metres."""
        return (points_world - self.T) @ self.R.T

    def camera_to_world(self, points_cam: np.ndarray) -> np.ndarray:
        return points_cam @ self.R + self.T

    def project(self, points_cam: np.ndarray) -> np.ndarray:
        """(..., 3) camera-frame points -> (..., 2) pixels (with distortion)."""
        xy = points_cam[..., :2] / points_cam[..., 2:3]
        r2 = np.sum(xy**2, axis=-1, keepdims=True)
        radial = 1 + self.k[0] * r2 + self.k[1] * r2**2 + self.k[2] * r2**3
        x, y = xy[..., :1], xy[..., 1:]
        p1, p2 = self.p
        tangential = np.concatenate(
            [2 * p1 * x * y + p2 * (r2 + 2 * x**2), p1 * (r2 + 2 * y**2) + 2 * p2 * x * y],
            axis=-1)
        return (xy * radial + tangential) * self.f + self.c

    def project_world(self, points_world: np.ndarray) -> np.ndarray:
        return self.project(self.world_to_camera(points_world))

    def yaw_to_follow(self, joints_world: np.ndarray, anchor: int = 0) -> np.ndarray:
        """(T,) radians the camera turns about the world vertical through its centre,
        from the first frame, to keep joint ``anchor`` in the same horizontal direction
        (``follow_with_yaw``)."""
        offset = np.asarray(joints_world, dtype=np.float64)[:, anchor, :2] - self.T[:2]
        azimuth = np.unwrap(np.arctan2(offset[:, 1], offset[:, 0]))
        return azimuth - azimuth[0]

    def follow_with_yaw(self, joints_world: np.ndarray, anchor: int = 0) -> np.ndarray:
        """The camera panning to follow a runner, as a phone does: frame by frame it
        turns about the world vertical (z) through its centre so that joint ``anchor``
        keeps the horizontal direction it had in the first frame (and so its image
        column: exactly for a level camera, within a pixel or two for one tilted a few
        degrees).

        Args:
            joints_world (np.ndarray): (T, K, 3) world metres, z up.
            anchor (int): the joint to follow (default the pelvis).

        Returns:
            np.ndarray: (T, K, 3) the joints in each frame's camera frame (``project``
            gives the pixels).
        """
        joints_world = np.asarray(joints_world, dtype=np.float64)
        turn = -self.yaw_to_follow(joints_world, anchor)  # the world turned back by it
        c, s = np.cos(turn), np.sin(turn)
        yaw = np.zeros((len(turn), 3, 3))
        yaw[:, 0, 0], yaw[:, 0, 1], yaw[:, 1, 0], yaw[:, 1, 1] = c, -s, s, c
        yaw[:, 2, 2] = 1.0
        rotations = self.R[None] @ yaw  # (T, 3, 3) world -> camera per frame
        return np.einsum('tij,tkj->tki', rotations, joints_world - self.T)

    def to_param_dict(self) -> dict:
        """MMPose-style camera parameters (lists, for JSON): R, T (metres), f, c (2, 1),
        k, p, w, h, fps, name. ``T`` is the camera centre in the world."""
        return dict(name=self.name, R=self.R.tolist(), T=self.T.reshape(3, 1).tolist(),
                    f=self.f.reshape(2, 1).tolist(), c=self.c.reshape(2, 1).tolist(),
                    k=self.k.reshape(3, 1).tolist(), p=self.p.reshape(2, 1).tolist(),
                    w=int(self.w), h=int(self.h), fps=float(self.fps))


def look_at(position: np.ndarray, target: np.ndarray, up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """World-to-camera rotation of a camera at ``position`` looking at ``target`` with
    image y pointing down along -up (no roll)."""
    forward = np.asarray(target, float) - np.asarray(position, float)
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, np.asarray(up, float))
    if np.linalg.norm(right) < 1e-9:
        raise ValueError('camera looks straight up or down; roll is undefined')
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    return np.stack([right, down, forward])


@dataclass
class VirtualRigConfig:
    """Distribution of static virtual cameras around a running path (world z up).

    Azimuth is measured from the running direction: 0 deg sees the runner from the front,
    180 deg from behind, +/-90 deg from the side. Views are drawn from four groups with
    the given weights. Each camera gets a random distance, height, image size and frame
    rate, aims at the runner at a random moment, and zooms so the runner is
    ``person_height_frac`` of the image height there (as a person filming would), then
    turns so the runner sits anywhere in the frame that keeps them inside it (up to
    ``off_centre`` of the free margin each way): phone footage rarely centres the runner,
    and a lifter that only saw centred runners fails on the others. On a long overground
    trial the runner then passes through the view; the dataset builder keeps the frames
    where the whole runner is inside the image.
    """
    view_weights: Tuple[float, float, float, float] = (0.45, 0.35, 0.1, 0.1)  # side, oblique, front, back
    side_jitter_deg: float = 15.0
    oblique_range_deg: Tuple[float, float] = (30.0, 60.0)
    front_back_jitter_deg: float = 15.0
    distance_m: Tuple[float, float] = (4.0, 12.0)
    height_m: Tuple[float, float] = (0.6, 1.8)
    image_sizes: Sequence[Tuple[int, int]] = ((1920, 1080), (1280, 720), (1080, 1920))
    fps_choices: Sequence[float] = (30.0, 50.0, 60.0, 120.0)
    person_height_frac: Tuple[float, float] = (0.3, 0.75)
    off_centre: float = 0.8


def sample_virtual_cameras(joints_world_m: np.ndarray, num_cameras: int,
                           rng: np.random.Generator,
                           config: Optional[VirtualRigConfig] = None) -> List[Camera]:
    """Static virtual cameras around the path of one trial.

    Args:
        joints_world_m (np.ndarray): (T, K, 3) world joints, metres, z up (NaN allowed).
        num_cameras (int): cameras to place.
        rng (np.random.Generator): randomness (seeded by the caller).
        config (VirtualRigConfig, optional): distribution of views.

    Returns:
        list[Camera]: cameras aimed at the runner at a random frame, framing the runner
        at ``person_height_frac`` of the image height at that frame.
    """
    config = config or VirtualRigConfig()
    finite = np.isfinite(joints_world_m).all(axis=-1)
    frames = np.flatnonzero(finite[:, 0] & (finite.sum(axis=1) >= 3))
    if len(frames) == 0:
        raise ValueError('no frame with a known root and 3+ joints to place cameras around')
    root = joints_world_m[frames, 0]
    direction = root[-1, :2] - root[0, :2]
    if np.linalg.norm(direction) < 0.5:  # treadmill or standing: use the pelvis heading
        direction = runningpose19().pelvis_heading(joints_world_m)
    direction = direction / np.linalg.norm(direction)
    heading = np.arctan2(direction[1], direction[0])
    cameras = []
    for i in range(num_cameras):
        frame = frames[rng.integers(len(frames))]
        pose = joints_world_m[frame][finite[frame]]
        ground = float(pose[:, 2].min())
        person_m = max(float(np.ptp(pose[:, 2])), 0.5)
        group = rng.choice(4, p=np.asarray(config.view_weights) / sum(config.view_weights))
        sign = rng.choice([-1.0, 1.0])
        if group == 0:
            azimuth = sign * (90 + rng.uniform(-1, 1) * config.side_jitter_deg)
        elif group == 1:
            a = rng.uniform(*config.oblique_range_deg)
            azimuth = sign * (a if rng.random() < 0.5 else 180 - a)
        elif group == 2:
            azimuth = rng.uniform(-1, 1) * config.front_back_jitter_deg
        else:
            azimuth = 180 + rng.uniform(-1, 1) * config.front_back_jitter_deg
        distance = rng.uniform(*config.distance_m)
        angle = heading + np.deg2rad(azimuth)
        horizontal = np.array([np.cos(angle), np.sin(angle)])
        target = np.array([*joints_world_m[frame, 0, :2], ground + 0.5 * person_m])
        position = np.array([*(target[:2] + horizontal * distance),
                             ground + rng.uniform(*config.height_m)])
        w, h = config.image_sizes[rng.integers(len(config.image_sizes))]
        cam = Camera(name=f'virtual{i:02d}', R=look_at(position, target), T=position,
                     f=np.ones(2), c=(w / 2, h / 2), w=w, h=h,
                     fps=float(rng.choice(config.fps_choices)))
        depth = float(cam.world_to_camera(target)[2])
        fraction = rng.uniform(*config.person_height_frac)
        focal = fraction * h * depth / person_m
        cam.f = np.array([focal, focal])
        if config.off_centre > 0:
            # free margin around the runner (about half as wide as tall in a side view)
            room = np.array([max(0.0, 0.5 * w - 0.3 * fraction * h),
                             max(0.0, 0.5 * (1 - fraction) * h)]) * config.off_centre
            shift = rng.uniform(-1, 1, 2) * room  # pixels from the image centre
            cam.R = _turn_towards(np.array([shift[0] / focal, shift[1] / focal, 1.0])) @ cam.R
        cameras.append(cam)
    return cameras


def _turn_towards(direction: np.ndarray) -> np.ndarray:
    """Camera-frame rotation taking the optical axis (0, 0, 1) to ``direction`` (the
    smallest rotation; for the few degrees used the roll it adds is negligible)."""
    d = direction / np.linalg.norm(direction)
    axis = np.cross([0.0, 0.0, 1.0], d)
    sin = np.linalg.norm(axis)
    if sin < 1e-12:
        return np.eye(3)
    k = axis / sin
    cos = d[2]
    kx = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    return np.eye(3) + sin * kx + (1 - cos) * kx @ kx


def load_calibrated_cameras(path: str, subpixel_divisor: float = 64.0) -> List[Camera]:
    """Calibrated cameras from a Qualisys-style JSON (``miqus_cameras.json``).

    Intrinsics in that file are QTM sub-pixel units (divided by ``subpixel_divisor``);
    translation is the camera position in mm; rotation is used as the world-to-camera
    matrix with the camera looking along -z (QTM convention), so it is flipped to this
    module's +z-forward frame. Cameras whose principal point lies outside the image
    (a transcription error in the source for miqusVideo2) are rejected with a message.

    Returns:
        list[Camera]: the usable cameras.
    """
    with open(path) as f:
        spec = json.load(f)
    cameras, rejected = [], []
    for cam in spec['cameras']:
        w, h = int(cam['res_w']), int(cam['res_h'])
        c = np.asarray(cam['center'], float) / subpixel_divisor
        f_px = np.asarray(cam['focal_length'], float) / subpixel_divisor
        if not (0 <= c[0] <= w and 0 <= c[1] <= h):
            rejected.append(f"{cam['id']}: principal point {c.round(1).tolist()} outside "
                            f'the {w}x{h} image')
            continue
        R_qtm = np.asarray(cam['rotation'], float)
        # QTM cameras look along -z with y up in the image: flip y and z
        R = np.diag([1.0, -1.0, -1.0]) @ R_qtm
        k = np.asarray(cam.get('radial_distortion', [0, 0, 0]), float)
        p = np.asarray(cam.get('tangential_distortion', [0, 0]), float)
        cameras.append(Camera(cam['id'], R, np.asarray(cam['translation'], float) / 1000.0,
                              f_px, c, w, h, float(cam.get('fps', 60)), k, p))
    if rejected:
        import warnings
        warnings.warn(f'{path}: skipped cameras: ' + '; '.join(rejected))
    return cameras
