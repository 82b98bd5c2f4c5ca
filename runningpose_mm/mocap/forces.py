"""Ground-reaction forces (OpenSim .mot) and the foot contacts they define."""
import os.path as osp
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

import numpy as np

from .timeseries import gap_runs
from .markers import MocapFormatError
from .readers import (_open_text, _parse_float_row, check_sample_times, read_time_table,
                      run_c3d_child)


@dataclass
class ContactIntervals:
    """Foot contacts of one trial.

    Attributes:
        contacts_s (dict): ``'left'``/``'right'`` -> (N, 2) array of [initial contact,
            toe-off] times in seconds. Contacts cut by the start or end of the recording
            are left out (their true start or end is unknown).
        source (str): where they came from.
    """
    contacts_s: Dict[str, np.ndarray]
    source: str = ''

    def contact_times_s(self, side: str) -> np.ndarray:
        c = self.contacts_s[side]
        return c[:, 1] - c[:, 0]


def read_mot(path: str) -> Tuple[List[str], np.ndarray]:
    """An OpenSim .mot/.sto table: header up to ``endheader``, then named columns. A
    ``time`` column must increase evenly (``check_sample_times``).

    Returns:
        tuple: column names and an (N, C) float array.
    """
    lines = _open_text(path)
    try:
        end = next(i for i, line in enumerate(lines) if line.strip().lower() == 'endheader')
    except StopIteration:
        raise MocapFormatError(f'{path}: no "endheader" line; not an OpenSim .mot file') from None
    if end + 1 >= len(lines):
        raise MocapFormatError(f'{path}: no column names after endheader')
    columns = lines[end + 1].split()
    rows, line_numbers = [], []
    for i in range(end + 2, len(lines)):
        if not lines[i].strip():
            continue
        row = _parse_float_row(lines[i].split(), path, i + 1)
        if len(row) != len(columns):
            raise MocapFormatError(f'{path}, line {i + 1}: {len(row)} values for '
                                   f'{len(columns)} columns (truncated file?)')
        rows.append(row)
        line_numbers.append(i + 1)
    if not rows:
        raise MocapFormatError(f'{path}: no data rows')
    data = np.stack(rows)
    if 'time' in columns:
        time = data[:, columns.index('time')]
        if not np.isfinite(time).all():
            line = line_numbers[int(np.argmin(np.isfinite(time)))]
            raise MocapFormatError(f'{path}, line {line}: no time value')
        check_sample_times(time, None, path, line_numbers)
    return columns, data


@dataclass
class ForcePlates:
    """Vertical ground-reaction force of each plate of one trial.

    Attributes:
        time_s (np.ndarray): (N,) sample times, seconds, on the file's time axis.
        vertical_n (dict): plate -> (N,) vertical force, newtons, positive under load.
        sides (dict): plate -> 'left' / 'right' when the file says whose foot it carries
            (OpenSim ``R_``/``L_`` columns), None when any foot may be on it (numbered
            plates, a treadmill's one plate under both feet).
        source (str): the file.
    """
    time_s: np.ndarray
    vertical_n: Dict[str, np.ndarray]
    sides: Dict[str, Optional[str]]
    source: str = ''


_MOT_VERTICAL = re.compile(r'^(?:(?P<side>[RrLl])_)?(?P<num1>\d+_)?ground_force(?:_(?P<num2>\d+))?'
                           r'_vy$')


def read_force_plates(path: str, rate_hz: Optional[float] = None) -> ForcePlates:
    """Vertical forces of every plate in a force file, as labs write them:

    - OpenSim ``.mot``/``.sto`` (y up): ``R_ground_force_vy`` / ``L_ground_force_vy``
      (the foot is in the name), or numbered plates ``ground_force_1_vy``,
      ``1_ground_force_vy``, or one ``ground_force_vy`` (any foot);
    - a force table ``.txt`` with a ``Time`` column and ``Fy`` vertical (the Running
      Biomechanics Data Set: one treadmill plate; its ``Time`` counts samples, so
      ``rate_hz`` is needed);
    - C3D force platforms (``FORCE_PLATFORM`` channels and calibration, the analog rate).

    Args:
        path (str): the file.
        rate_hz (float, optional): sampling rate, for files whose time column counts
            samples instead of seconds (an error without it).

    Raises:
        MocapFormatError: no vertical force found, or a time axis that cannot be read.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'force file {path} does not exist')
    ext = osp.splitext(path)[1].lower()
    if ext == '.c3d':
        return _c3d_force_plates(path)
    if ext == '.txt':
        names, data = read_time_table(path, 'force table')
    elif ext in ('.mot', '.sto'):
        names, data = read_mot(path)
    else:
        raise MocapFormatError(f'{path}: unknown force file type {ext!r}; supported: .mot, '
                               '.sto, .txt (force table), .c3d')
    lower = [n.lower() for n in names]
    if 'time' not in lower:
        raise MocapFormatError(f'{path}: no "time" column (has {names[:6]}...)')
    time = data[:, lower.index('time')]
    if np.all(time == np.round(time)) and np.all(np.diff(time) == 1):
        if not rate_hz:
            raise MocapFormatError(f'{path}: the time column counts samples ({time[0]:g}, '
                                   f'{time[1]:g}, ...); give the sampling rate (rate_hz=, '
                                   '--grf-rate)')
        time = (time - time[0]) / float(rate_hz)
    plates, sides = {}, {}
    if ext == '.txt':
        if 'Fy' not in names:
            raise MocapFormatError(f'{path}: a force table needs the vertical force "Fy" '
                                   f'(has {names})')
        plates['plate'] = data[:, names.index('Fy')]
        sides['plate'] = None
    else:
        for name, values in zip(names, data.T):
            match = _MOT_VERTICAL.match(name)
            if match:
                plates[name] = values
                side = match.group('side')
                sides[name] = None if side is None else \
                    ('right' if side.lower() == 'r' else 'left')
        if not plates:
            raise MocapFormatError(f'{path}: no vertical force column (R_ground_force_vy, '
                                   f'L_ground_force_vy, ground_force_N_vy, ...); has {names}')
    return ForcePlates(time, {k: np.nan_to_num(v) for k, v in plates.items()}, sides, path)


#: run in a child process (readers.run_c3d_child: corrupt C3D files can crash ezc3d)
_C3D_PLATES_CHILD = r"""
import sys
import numpy as np
import ezc3d
try:
    c3d = ezc3d.c3d(sys.argv[1])
    params = c3d['parameters']
    plate = params['FORCE_PLATFORM']
    out = dict(analogs=np.asarray(c3d['data']['analogs'], dtype=np.float64)[0],
               rate=float(np.asarray(params['ANALOG']['RATE']['value']).reshape(-1)[0]),
               types=np.asarray(plate['TYPE']['value'], dtype=np.int64).reshape(-1),
               channels=np.asarray(plate['CHANNEL']['value'], dtype=np.int64),
               first=float(c3d['header']['points']['first_frame']) /
               float(np.asarray(params['POINT']['RATE']['value']).reshape(-1)[0]))
    if 'CAL_MATRIX' in plate and np.size(plate['CAL_MATRIX']['value']):
        out['cal'] = np.asarray(plate['CAL_MATRIX']['value'], dtype=np.float64)
    np.savez(sys.argv[2], **out)
except Exception as exc:
    sys.stderr.write(f'{type(exc).__name__}: {exc}')
    sys.exit(3)
"""


def _c3d_force_plates(path: str) -> ForcePlates:
    c3d = run_c3d_child(_C3D_PLATES_CHILD, path, 'no readable force platforms')
    analogs, channels = c3d['analogs'], c3d['channels']  # (C, N), (6, P) 1-based
    if channels.ndim != 2 or channels.shape[0] < 3 or not c3d['rate'] > 0:
        raise MocapFormatError(f'{path}: FORCE_PLATFORM:CHANNEL of shape {channels.shape}')
    time = c3d['first'] + np.arange(analogs.shape[1]) / c3d['rate']
    plates, sides = {}, {}
    for p in range(channels.shape[1]):
        kind = int(c3d['types'][p]) if p < len(c3d['types']) else 0
        if kind not in (1, 2, 3, 4):
            raise MocapFormatError(f'{path}: force platform {p + 1} is of type {kind} (types '
                                   '1-4 are read)')
        index = channels[:, p] - 1
        if index.min() < 0 or index.max() >= len(analogs):
            raise MocapFormatError(f'{path}: force platform {p + 1} names analog channels '
                                   f'{channels[:, p].tolist()} of {len(analogs)}')
        if kind == 4:  # volts through the 6x6 calibration matrix (one per plate)
            cal = c3d.get('cal')
            if cal is None or cal.ndim != 3 or cal.shape[:2] != (6, 6) or \
                    cal.shape[2] <= p:
                raise MocapFormatError(f'{path}: force platform {p + 1} is of type 4 but '
                                       'FORCE_PLATFORM:CAL_MATRIX is not a 6x6 matrix for it')
            # the Fz row (the matrix RBDS stores is diagonal, so its storage order, row or
            # column first, does not matter there)
            fz = cal[2, :, p] @ analogs[index[:6]]
        elif kind == 3:  # eight channels (Kistler): vertical = sum of the four z channels
            fz = analogs[index[4:8]].sum(axis=0)
        else:  # types 1, 2: force channels in newtons, z third
            fz = analogs[index[2]]
        # the plate's z axis points into the floor on most plates: load is positive here
        if np.percentile(fz, 99) < -np.percentile(fz, 1):
            fz = -fz
        name = f'plate{p + 1}'
        plates[name] = np.nan_to_num(fz)
        sides[name] = None
    return ForcePlates(time, plates, sides, path)


def contacts_from_plates(plates: ForcePlates,
                         threshold_n: float = 50.0,
                         min_contact_s: float = 0.05,
                         joints=None,
                         plate_sides: Optional[Dict[str, str]] = None) -> ContactIntervals:
    """Foot contacts from vertical ground-reaction force: contact = force above a threshold.

    A plate whose foot the file does not name (a treadmill's one plate, numbered plates)
    gives each contact to the foot that is on the ground: the lower one over the contact
    (ankle and forefoot heights from ``joints``; in running the other foot is in the
    air).

    Args:
        plates (ForcePlates): from ``read_force_plates``.
        threshold_n (float): contact threshold in newtons. Default: 50 N.
        min_contact_s (float): shorter supra-threshold blips are ignored. Default: 50 ms.
        joints (JointData, optional): the trial's joints (z up), on the same time axis as
            the forces from ``metadata start_time_s`` = their first sample; needed when
            a plate is under any foot.
        plate_sides (dict, optional): plate -> 'left' / 'right', the foot that stepped on
            it (overrides what the file says; the plate names of ``read_force_plates``:
            the .mot column, ``plate`` of a force table, ``plate1``... of a C3D).

    Returns:
        ContactIntervals: per foot, [initial contact, toe-off] in seconds (the force
        file's time axis), with sub-sample precision by linear interpolation.
    """
    time = plates.time_s
    sides = dict(plates.sides)
    for name, side in (plate_sides or {}).items():
        if name not in sides:
            raise MocapFormatError(f'{plates.source}: no plate {name!r} (plates: '
                                   f'{", ".join(sides)})')
        if side not in ('left', 'right'):
            raise ValueError(f"plate {name!r}: side must be 'left' or 'right', got {side!r}")
        sides[name] = side
    contacts = {'left': [], 'right': []}
    for name, force in plates.vertical_n.items():
        above = force > threshold_n
        for start, stop in gap_runs(above):
            if start == 0 or stop == len(force):
                continue  # cut by the recording: true start/end unknown
            on = _crossing(time, force, start - 1, start, threshold_n)
            off = _crossing(time, force, stop - 1, stop, threshold_n)
            if off - on < min_contact_s:
                continue
            side = sides[name] or _foot_on_ground(joints, on, off, plates.source, name)
            contacts[side].append((on, off))
    return ContactIntervals({side: np.array(sorted(c), dtype=np.float64).reshape(-1, 2)
                             for side, c in contacts.items()}, plates.source)


def _foot_on_ground(joints, on: float, off: float, source: str, plate: str) -> str:
    """'left' or 'right': the foot lower over the middle half of a contact."""
    if joints is None:
        raise MocapFormatError(f'{source}: {plate} carries either foot; give the trial\'s '
                               'joints so that each contact goes to the foot on the ground')
    from ..skeleton import runningpose19
    sk = runningpose19()
    t = joints.start_time_s + np.arange(joints.num_frames) / joints.rate_hz
    inside = (t >= on + 0.25 * (off - on)) & (t <= off - 0.25 * (off - on))
    if not inside.any():
        raise MocapFormatError(f'{source}: a contact at {on:.3f}-{off:.3f} s lies outside the '
                               f'joints\' time axis ({t[0]:.3f}-{t[-1]:.3f} s): do the force '
                               'and marker files belong together?')
    height = {}
    for side in ('left', 'right'):
        feet = joints.joints_m[inside][:, [sk.index(f'{side}_ankle'),
                                           sk.index(f'{side}_forefoot')], 2]
        height[side] = np.nanmean(np.nanmin(feet, axis=1)) if np.isfinite(feet).any() \
            else np.inf
    if not np.isfinite(min(height.values())):
        raise MocapFormatError(f'{source}: no foot positions during the contact at '
                               f'{on:.3f} s: cannot tell which foot is on {plate}')
    return min(height, key=height.get)


def contacts_from_grf(path: str,
                      threshold_n: float = 50.0,
                      min_contact_s: float = 0.05,
                      joints=None,
                      rate_hz: Optional[float] = None,
                      plate_sides: Optional[Dict[str, str]] = None) -> ContactIntervals:
    """Foot contacts from a force file (``read_force_plates``, then
    ``contacts_from_plates``): OpenSim .mot, a force table, or C3D force platforms.

    Args:
        path (str): the force file.
        threshold_n (float): contact threshold in newtons. Default: 50 N.
        min_contact_s (float): shorter supra-threshold blips are ignored. Default: 50 ms.
        joints (JointData, optional): needed when a plate carries either foot.
        rate_hz (float, optional): for time columns that count samples.
        plate_sides (dict, optional): plate -> foot, see ``contacts_from_plates``.

    Returns:
        ContactIntervals: per foot, [initial contact, toe-off] in seconds (the time axis
        of the file), with sub-sample precision by linear interpolation of the crossing.
    """
    return contacts_from_plates(read_force_plates(path, rate_hz), threshold_n, min_contact_s,
                                joints, plate_sides)


def _crossing(time, force, i, j, level):
    f0, f1 = force[i], force[j]
    w = 0.0 if f1 == f0 else (level - f0) / (f1 - f0)
    return float(time[i] + w * (time[j] - time[i]))
