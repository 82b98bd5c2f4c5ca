"""Ground-reaction forces (OpenSim .mot) and the foot contacts they define."""
from dataclasses import dataclass
from typing import Dict, List, Tuple

import numpy as np

from .timeseries import gap_runs
from .markers import MocapFormatError
from .readers import _open_text, _parse_float_row, check_sample_times


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


def contacts_from_grf(path: str,
                      threshold_n: float = 50.0,
                      min_contact_s: float = 0.05,
                      columns: Dict[str, str] = None) -> ContactIntervals:
    """Foot contacts from vertical ground-reaction force: contact = force above a threshold.

    Args:
        path (str): OpenSim .mot with ``time`` and vertical force columns.
        threshold_n (float): contact threshold in newtons. Default: 50 N.
        min_contact_s (float): shorter supra-threshold blips are ignored. Default: 50 ms.
        columns (dict): side -> vertical force column; default ``R_ground_force_vy`` /
            ``L_ground_force_vy`` (OpenSim, y up).

    Returns:
        ContactIntervals: per foot, [initial contact, toe-off] in seconds (the time axis
        of the file), with sub-sample precision by linear interpolation of the crossing.
    """
    names, data = read_mot(path)
    columns = columns or dict(right='R_ground_force_vy', left='L_ground_force_vy')
    if 'time' not in names:
        raise MocapFormatError(f'{path}: no "time" column (has {names[:6]}...)')
    time = data[:, names.index('time')]
    contacts = {}
    for side, column in columns.items():
        if column not in names:
            raise MocapFormatError(f'{path}: no {column!r} column for the {side} foot; '
                                   f'columns are {names}')
        force = np.nan_to_num(data[:, names.index(column)])
        above = force > threshold_n
        intervals = []
        for start, stop in gap_runs(above):
            if start == 0 or stop == len(force):
                continue  # cut by the recording: true start/end unknown
            on = _crossing(time, force, start - 1, start, threshold_n)
            off = _crossing(time, force, stop - 1, stop, threshold_n)
            if off - on >= min_contact_s:
                intervals.append((on, off))
        contacts[side] = np.array(intervals, dtype=np.float64).reshape(-1, 2)
    return ContactIntervals(contacts, path)


def _crossing(time, force, i, j, level):
    f0, f1 = force[i], force[j]
    w = 0.0 if f1 == f0 else (level - f0) / (f1 - f0)
    return float(time[i] + w * (time[j] - time[i]))
