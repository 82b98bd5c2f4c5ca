"""Marker maps: runningpose19 joint centres from marker trajectories.

A marker map is data: a small YAML file per marker set (``marker_maps/*.yaml``) that
defines each joint by one operation on markers or on joints defined before it
(``mean``, ``lerp``, ``offset``, ``harrington``, ``foot_frame``, ``functional_knee``,
``trunk_offset``, ``missing``; see the shipped maps). A map with ``base: NAME`` takes
that map's joints and redefines those it lists (evaluated after the base's).
"""
import glob
import os.path as osp
import warnings
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import yaml

from ..skeleton import runningpose19
from .markers import MarkerData, MocapFormatError

MARKER_MAP_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'marker_maps')
_OPERATIONS = ('mean', 'lerp', 'offset', 'harrington', 'foot_frame', 'functional_knee',
               'trunk_offset', 'missing')


class MarkerMapError(ValueError):
    """A marker map that is malformed or does not fit a file's markers."""


class MissingJointWarning(UserWarning):
    """A joint the marker set cannot provide (left missing, never invented)."""


class FallbackWarning(UserWarning):
    """A joint computed by a marker map's fallback because a marker is absent."""


def _describe(op: dict) -> str:
    kind, args = next(iter(op.items()))
    if kind == 'missing':
        return 'nothing: left missing'
    return f'{kind} of {", ".join(_references(op))}'


def available_marker_maps() -> List[str]:
    """Names of the shipped marker maps."""
    return sorted(osp.splitext(osp.basename(p))[0]
                  for p in glob.glob(osp.join(MARKER_MAP_DIR, '*.yaml')))


@dataclass
class MarkerMap:
    """A parsed marker map.

    Attributes:
        name (str): map name.
        joints (dict): joint name -> {operation: arguments}, in evaluation order.
        source (str): file it came from.
    """
    name: str
    joints: Dict[str, dict]
    source: str = ''

    @classmethod
    def load(cls, name_or_path: str) -> 'MarkerMap':
        """Load a shipped map by name or any map file by path."""
        path = name_or_path
        if not osp.isfile(path):
            path = osp.join(MARKER_MAP_DIR, f'{name_or_path}.yaml')
        if not osp.isfile(path):
            raise FileNotFoundError(f'marker map {name_or_path!r} not found; shipped maps: '
                                    f'{available_marker_maps()}')
        with open(path) as f:
            try:
                spec = yaml.safe_load(f)
            except yaml.YAMLError as exc:
                raise MarkerMapError(f'{path}: not valid YAML: {exc}') from None
        if not isinstance(spec, dict) or 'joints' not in spec:
            raise MarkerMapError(f'{path}: a marker map needs a "joints" mapping')
        joints = dict(spec['joints'])
        if spec.get('base'):
            # another map's joints with some redefined: those are evaluated after the
            # base's, so they may use any joint of it
            base = cls.load(spec['base']).joints
            joints = {**{j: op for j, op in base.items() if j not in joints}, **joints}
        marker_map = cls(spec.get('name', osp.splitext(osp.basename(path))[0]), joints, path)
        marker_map.validate()
        return marker_map

    def validate(self) -> None:
        skeleton = runningpose19()
        unknown = [j for j in self.joints if j not in skeleton.names]
        if unknown:
            raise MarkerMapError(f'{self.source}: unknown joints {unknown}; runningpose19 '
                                 f'joints are {list(skeleton.names)}')
        undefined = [j for j in skeleton.names if j not in self.joints]
        if undefined:
            raise MarkerMapError(f'{self.source}: joints {undefined} are not defined; define '
                                 'each (use "missing: reason" if the set lacks it)')
        for joint, spec in self.joints.items():
            alternatives = spec if isinstance(spec, list) else [spec]
            for op in alternatives:
                if not isinstance(op, dict) or len(op) != 1 or \
                        next(iter(op)) not in _OPERATIONS:
                    raise MarkerMapError(f'{self.source}: joint {joint!r} must be one of '
                                         f'{list(_OPERATIONS)} (or a list of them, tried in '
                                         f'order), got {op!r}')
                args = op.get('functional_knee')
                if args is not None and not (
                        isinstance(args, dict) and
                        all(len(args.get(k) or []) == 3 for k in ('thigh', 'shank'))):
                    raise MarkerMapError(f'{self.source}: joint {joint!r}: functional_knee '
                                         'takes three markers for each of thigh and shank '
                                         f'(they span the segment\'s axes), got {args!r}')

    def alternatives(self, joint: str) -> List[dict]:
        """The joint's operations in order of preference (a map may list fallbacks for
        when a marker is absent from a file)."""
        spec = self.joints[joint]
        return list(spec) if isinstance(spec, list) else [spec]

    def required_markers(self, available: Optional[Sequence[str]] = None) -> List[str]:
        """Marker names the map reads (names that are not joints): of each joint's first
        operation, or with ``available`` (a file's markers) of the first one whose markers
        the file has."""
        names = []
        for joint in self.joints:
            for ref in _references(self.operation(joint, available)[0]):
                if ref not in self.joints and ref not in names:
                    names.append(ref)
        return names

    def operation(self, joint: str, available: Optional[Sequence[str]] = None
                  ) -> Tuple[dict, int]:
        """The first of the joint's operations whose markers are all ``available``, and
        its position in the list (0: the preferred one). The first operation when none
        fits (the caller reports what is absent) or without ``available``."""
        alternatives = self.alternatives(joint)
        if available is None:
            return alternatives[0], 0
        for k, op in enumerate(alternatives):
            if all(ref in self.joints or ref in available for ref in _references(op)):
                return op, k
        return alternatives[0], 0

    def missing_joints(self, available: Optional[Sequence[str]] = None) -> Dict[str, str]:
        """Joints the marker set cannot provide (with ``available``: in this file), with
        the reason."""
        out = {}
        for joint in self.joints:
            op = self.operation(joint, available)[0]
            if 'missing' in op:
                out[joint] = op['missing']
        return out


def _references(op: dict) -> List[str]:
    kind, args = next(iter(op.items()))
    if kind == 'mean':
        return list(args)
    if kind == 'lerp':
        return list(args[:2])
    if kind == 'offset':
        return [args['point']] + list(args['along'])
    if kind == 'harrington':
        return [args['asis_left'], args['asis_right']] + list(args['psis'])
    if kind == 'foot_frame':
        return [args['heel'], args['toe'], args['lateral']]
    if kind == 'functional_knee':
        return list(args['thigh']) + list(args['shank']) + [args['hip'], args['ankle']]
    if kind == 'trunk_offset':
        return [args['root'], args['thorax'], args['back'], args['front']]
    return []


@dataclass
class JointData:
    """runningpose19 joint centres of one trial.

    Attributes:
        joints_m (np.ndarray): (T, 19, 3) positions in metres, world frame, z up;
            NaN where unknown.
        visible (np.ndarray): (T, 19) bool, True where the joint is known.
        rate_hz (float): sampling rate.
        source (str): the mocap file.
        missing_joints (dict): joints the marker set cannot provide -> reason.
        start_time_s (float): time of the first sample on the file's time axis (TRC and
            marker tables may start late; force files share that axis).
    """
    joints_m: np.ndarray
    visible: np.ndarray
    rate_hz: float
    source: str = ''
    missing_joints: Dict[str, str] = field(default_factory=dict)
    start_time_s: float = 0.0

    @property
    def num_frames(self) -> int:
        return self.joints_m.shape[0]


def harrington_hip_centre(asis_left: np.ndarray, asis_right: np.ndarray,
                          psis_mid: np.ndarray, side: str) -> np.ndarray:
    """Hip joint centre by Harrington et al. (2007, J Biomech 40:595).

    Pelvis frame: origin at the ASIS midpoint, z lateral (to the right ASIS), x anterior
    (from the PSIS midpoint towards the ASIS midpoint, orthogonal to z), y = z x x
    superior. With PW the inter-ASIS distance and PD the ASIS-to-PSIS-midpoint distance
    (mm): x = -0.24 PD - 9.9, y = -0.30 PW - 10.9, z = +/-(0.33 PW + 7.3).

    Args:
        asis_left, asis_right, psis_mid (np.ndarray): (T, 3) in millimetres.
        side (str): 'left' or 'right'.

    Returns:
        np.ndarray: (T, 3) hip joint centre in millimetres (NaN where an input is).
    """
    origin = 0.5 * (asis_left + asis_right)
    z_axis = asis_right - asis_left
    pw = np.linalg.norm(z_axis, axis=-1, keepdims=True)
    z_axis = z_axis / pw
    forward = origin - psis_mid
    pd = np.linalg.norm(forward, axis=-1, keepdims=True)
    x_axis = forward - np.sum(forward * z_axis, axis=-1, keepdims=True) * z_axis
    x_axis = x_axis / np.linalg.norm(x_axis, axis=-1, keepdims=True)
    y_axis = np.cross(z_axis, x_axis)
    sign = {'right': 1.0, 'left': -1.0}[side]
    x = -0.24 * pd - 9.9
    y = -0.30 * pw - 10.9
    z = sign * (0.33 * pw + 7.3)
    return origin + x * x_axis + y * y_axis + z * z_axis


def foot_frame(heel: np.ndarray, toe: np.ndarray, lateral: np.ndarray, side: str):
    """Per-frame foot axes from three foot markers: forward (heel -> toe), lateral
    (towards the lateral marker, orthogonal to forward) and up (forward x lateral on the
    left foot, lateral x forward on the right), and the heel -> toe length.

    Args:
        heel, toe, lateral (np.ndarray): (T, 3) marker positions (any unit).
        side (str): 'left' or 'right'.

    Returns:
        tuple: forward, lateral, up (T, 3) unit vectors and length (T, 1).
    """
    forward = toe - heel
    length = np.linalg.norm(forward, axis=-1, keepdims=True)
    forward = forward / length
    across = lateral - heel
    across = across - np.sum(across * forward, axis=-1, keepdims=True) * forward
    across = across / np.linalg.norm(across, axis=-1, keepdims=True)
    up = np.cross(forward, across) if side == 'left' else np.cross(across, forward)
    return forward, across, up, length


def _segment_frames(a: np.ndarray, b: np.ndarray, c: np.ndarray):
    """(T, 3, 3) axes (columns, world) and (T, 3) origin of a segment from three points
    moving with it."""
    x = b - a
    x = x / np.linalg.norm(x, axis=-1, keepdims=True)
    z = np.cross(x, c - a)
    z = z / np.linalg.norm(z, axis=-1, keepdims=True)
    return np.stack([x, np.cross(z, x), z], axis=-1), a


def functional_knee_centre(thigh: Sequence[np.ndarray], shank: Sequence[np.ndarray],
                           hip: np.ndarray, ankle: np.ndarray) -> np.ndarray:
    """The knee joint centre from thigh and shank marker clusters over a trial.

    The point fixed in both segments (SCoRE, Ehrig et al. 2006, J Biomech 39:2798): one
    point in the thigh's axes and one in the shank's that coincide in every frame, by
    least squares. The knee is nearly a hinge, so that point is well defined across the
    flexion axis but not along it (the direction the least squares cannot fix, the axis
    itself, as in SARA); along the axis it is placed where the hip -> ankle line passes,
    the middle of the knee seen from the front. Measured on the Qualisys sprints
    against the epicondyle midpoint (thigh: hip centre and two thigh markers; shank:
    shin and both malleoli): 31-39 mm median, 49-56 mm 95th percentile (plain SCoRE:
    36-50 mm, offsets of 30-45 mm along the axis).

    Args:
        thigh, shank: three (T, 3) points moving with each segment (markers, or the hip
            centre for the thigh).
        hip, ankle (np.ndarray): (T, 3) joint centres.

    Returns:
        np.ndarray: (T, 3) in the input's unit; NaN where a cluster is incomplete.
    """
    rot_a, origin_a = _segment_frames(*thigh)
    rot_b, origin_b = _segment_frames(*shank)
    ok = np.isfinite(rot_a).all(axis=(1, 2)) & np.isfinite(rot_b).all(axis=(1, 2))
    if ok.sum() < 10:
        raise MarkerMapError('functional_knee: fewer than 10 frames with both clusters')
    system = np.concatenate([rot_a[ok], -rot_b[ok]], axis=2).reshape(-1, 6)
    target = (origin_b[ok] - origin_a[ok]).reshape(-1)
    u, sv, vt = np.linalg.svd(system, full_matrices=False)
    axis = vt[-1]  # the least determined direction: along the flexion axis in both
    solution = vt[:-1].T @ ((u[:, :-1].T @ target) / sv[:-1])

    def world(x):  # the two segments' estimates of the point, averaged
        return 0.5 * (np.einsum('tij,j->ti', rot_a, x[:3]) + origin_a +
                      np.einsum('tij,j->ti', rot_b, x[3:]) + origin_b)
    point = world(solution)
    along = world(solution + axis) - point
    leg = (ankle - hip) / np.linalg.norm(ankle - hip, axis=-1, keepdims=True)

    def across(v):  # the part of v across the hip -> ankle line
        return v - np.sum(v * leg, axis=-1, keepdims=True) * leg
    d, w = across(point - hip), across(along)
    good = np.isfinite(d).all(axis=1) & np.isfinite(w).all(axis=1)
    step = -np.sum(w[good] * d[good]) / np.sum(w[good] * w[good])
    return point + step * along


def trunk_offset_point(root: np.ndarray, thorax: np.ndarray, back: np.ndarray,
                       front: np.ndarray, up: float, forward: float) -> np.ndarray:
    """A point at ``up`` and ``forward`` trunk lengths (root -> thorax) from the thorax,
    along the trunk and along the back -> front direction across it (e.g. the head of a
    marker set without head markers)."""
    length = np.linalg.norm(thorax - root, axis=-1, keepdims=True)
    axis = (thorax - root) / length
    ahead = front - back
    ahead = ahead - np.sum(ahead * axis, axis=-1, keepdims=True) * axis
    ahead = ahead / np.linalg.norm(ahead, axis=-1, keepdims=True)
    return thorax + length * (up * axis + forward * ahead)


def joints_from_markers(markers: MarkerData, marker_map: MarkerMap,
                        max_gap_frames: int = 10) -> JointData:
    """Compute runningpose19 joint centres from markers.

    Args:
        markers (MarkerData): trajectories (any unit and up axis).
        marker_map (MarkerMap): the marker set's map.
        max_gap_frames (int): marker gaps up to this many frames are filled by cubic
            interpolation; longer ones leave the joints that need them missing.

    Returns:
        JointData: metres, z up. Joints the map marks missing are NaN and invisible, and
        a :class:`MissingJointWarning` names them.

    Raises:
        MarkerMapError: markers the map needs are absent from the file (the message lists
            what the map needs and what the file has) or have no valid sample.
        MocapFormatError: the marker cloud is not person-sized in the declared unit.
    """
    needed = marker_map.required_markers(markers.names)
    absent = [m for m in needed if m not in markers.names]
    if absent:
        raise MarkerMapError(
            f'{markers.source}: marker map {marker_map.name!r} needs markers {absent} that '
            f'the file does not have (and gives no fallback without them).\n  the map '
            f'needs: {needed}\n  the file has: {markers.names}')
    chosen = {joint: marker_map.operation(joint, markers.names) for joint in marker_map.joints}
    fallbacks = {}
    for joint, (op, k) in chosen.items():
        if k:
            preferred = [r for r in _references(marker_map.alternatives(joint)[0])
                         if r not in marker_map.joints and r not in markers.names]
            fallbacks[joint] = (op, preferred)
    markers.check_units()
    data = markers.select(needed).fill_gaps(max_gap_frames).in_metres().z_up()
    empty = [n for n, frac in data.missing_fraction().items() if frac == 1.0]
    if empty:
        raise MarkerMapError(f'{markers.source}: markers {empty} have no valid sample '
                             '(all NaN/zero); the joints that need them cannot be computed')
    points_mm = {n: data.marker(n) * 1000.0 for n in needed}
    skeleton = runningpose19()
    num_frames = data.num_frames
    for joint, (op, _) in chosen.items():
        points_mm[joint] = _evaluate(op, points_mm, num_frames)
    joints = np.stack([points_mm[name] for name in skeleton.names], axis=1) / 1000.0
    visible = np.isfinite(joints).all(axis=-1)
    if fallbacks:
        warnings.warn(f'{markers.source}: marker map {marker_map.name!r} used fallbacks: ' +
                      '; '.join(f'{j} from {_describe(op)} ({", ".join(absent)} absent)'
                                for j, (op, absent) in fallbacks.items()), FallbackWarning)
    missing = marker_map.missing_joints(markers.names)
    if missing:
        warnings.warn(f'{markers.source}: marker map {marker_map.name!r} cannot provide '
                      + '; '.join(f'{j} ({why})' for j, why in missing.items())
                      + ' - left missing (invisible), not invented', MissingJointWarning)
    return JointData(joints, visible, markers.rate_hz, markers.source, missing,
                     float(markers.metadata.get('start_time_s', 0.0)))


def _evaluate(op: dict, points: Dict[str, np.ndarray], num_frames: int) -> np.ndarray:
    kind, args = next(iter(op.items()))
    if kind == 'missing':
        return np.full((num_frames, 3), np.nan)
    if kind == 'mean':
        return np.mean([points[n] for n in args], axis=0)
    if kind == 'lerp':
        a, b, t = points[args[0]], points[args[1]], float(args[2])
        return a + t * (b - a)
    if kind == 'offset':
        start, end = (points[n] for n in args['along'])
        direction = end - start
        direction = direction / np.linalg.norm(direction, axis=-1, keepdims=True)
        return points[args['point']] + float(args['mm']) * direction
    if kind == 'harrington':
        psis = np.mean([points[n] for n in args['psis']], axis=0)
        return harrington_hip_centre(points[args['asis_left']], points[args['asis_right']],
                                     psis, args['side'])
    if kind == 'foot_frame':
        forward, across, up, length = foot_frame(points[args['heel']], points[args['toe']],
                                                 points[args['lateral']], args['side'])
        f, u, lat = (float(v) for v in args['offset'])
        return points[args['heel']] + length * (f * forward + u * up + lat * across)
    if kind == 'functional_knee':
        return functional_knee_centre([points[n] for n in args['thigh']],
                                      [points[n] for n in args['shank']],
                                      points[args['hip']], points[args['ankle']])
    if kind == 'trunk_offset':
        return trunk_offset_point(*(points[args[k]] for k in ('root', 'thorax', 'back',
                                                               'front')),
                                  float(args['up']), float(args['forward']))
    raise MocapFormatError(f'unknown marker map operation {kind!r}')
