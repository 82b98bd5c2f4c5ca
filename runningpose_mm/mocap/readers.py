"""Readers for marker-based motion capture files.

Every reader returns a :class:`MarkerData` (names, (T, M, 3) positions with missing
samples as NaN, sampling rate, units, up axis). Errors name the file, the line or field,
and what was expected.
"""
import os.path as osp
from typing import List, Optional, Tuple

import warnings

import numpy as np

from .markers import MarkerData, MocapFormatError


def _open_text(path: str) -> List[str]:
    if not osp.isfile(path):
        raise FileNotFoundError(f'mocap file {path} does not exist')
    with open(path, 'r', encoding='utf-8-sig', errors='replace') as f:
        return f.read().splitlines()


def _parse_float_row(fields: List[str], path: str, line_no: int) -> np.ndarray:
    """Floats of a row; empty fields and 'nan' become NaN."""
    out = np.full(len(fields), np.nan)
    for i, field in enumerate(fields):
        field = field.strip()
        if field == '' or field.lower() == 'nan':
            continue
        try:
            out[i] = float(field)
        except ValueError:
            raise MocapFormatError(
                f'{path}, line {line_no}: field {i + 1} is {field!r}, expected a number'
            ) from None
        if not np.isfinite(out[i]):  # 'inf', or a value beyond float range (1e400)
            raise MocapFormatError(f'{path}, line {line_no}: field {i + 1} is {field!r}, '
                                   'not a finite number')
    return out


def check_sample_times(times: np.ndarray, rate_hz: Optional[float], path: str,
                       line_numbers: Optional[List[int]] = None) -> None:
    """A file's time column must increase in even steps (of 1/rate_hz when given):
    rows lost or reordered would otherwise be read as evenly sampled. Steps may differ
    by half a step (times are printed rounded, e.g. to milliseconds at 300 Hz); a missing
    row doubles one.

    Raises:
        MocapFormatError: naming the line (``line_numbers``: the file line of each time)
            of the first time that is off.
    """
    times = np.asarray(times, dtype=np.float64)
    if len(times) < 2:
        return
    steps = np.diff(times)
    typical = float(times[-1] - times[0]) / (len(times) - 1)  # rounding-proof
    step = 1.0 / rate_hz if rate_hz else typical
    if not step > 0:
        raise MocapFormatError(f'{path}: the time column does not increase')
    off = np.flatnonzero(np.abs(steps - step) > 0.5 * step)
    if len(off):
        back = off[steps[off] <= 0]  # rows out of order say more than the jump before them
        k = int(back[0] if len(back) else off[0])
        what = 'does not increase' if steps[k] <= 0 else 'jumps'
        line = line_numbers[k + 1] if line_numbers else k + 2
        raise MocapFormatError(
            f'{path}, line {line}: the time column {what} ({times[k]:g} -> {times[k + 1]:g} s, '
            f'steps are {step:g} s; {len(off)} uneven step(s): rows missing or out of order?)')
    # the header's rate: 2 % over the whole column, plus half a step of print rounding
    span = float(times[-1] - times[0])
    if rate_hz and abs(span * rate_hz - (len(times) - 1)) > 0.02 * (len(times) - 1) + 0.5:
        raise MocapFormatError(f'{path}: the time column advances {typical:g} s per row '
                               f'({1 / typical:g} Hz), the header says {rate_hz:g} Hz')


def _zero_triplets_to_nan(positions: np.ndarray) -> np.ndarray:
    # Qualisys/Vicon export a missing sample as exactly (0, 0, 0)
    zero = np.all(positions == 0, axis=-1)
    positions[zero] = np.nan
    return positions


def read_marker_labels(path: str) -> List[str]:
    """Marker names, one per line (blank lines ignored)."""
    names = [line.strip() for line in _open_text(path) if line.strip()]
    if not names:
        raise MocapFormatError(f'{path}: no marker labels')
    return names


#: the RunningPose capture's rate, assumed for Qualisys text files (they store none)
QUALISYS_TXT_DEFAULT_RATE_HZ = 170.0


class AssumedRateWarning(UserWarning):
    """A marker file that stores no frame rate was read at an assumed one."""


def read_qualisys_txt(path: str,
                      labels: Optional[List[str]] = None,
                      rate_hz: Optional[float] = None,
                      units: str = 'mm') -> MarkerData:
    """The RunningPose Qualisys text format: one line per marker, frames as x,y,z triplets.

    Args:
        path (str): the ``.txt`` file (comma separated, one line per marker).
        labels (list[str], optional): marker names in line order; default: read
            ``marker_labels.txt`` next to the file.
        rate_hz (float, optional): capture rate. The format does not store it; without
            it 170 Hz (the RunningPose capture) is assumed and an ``AssumedRateWarning``
            says so.
        units (str): unit of the values (mm for Qualisys).

    Returns:
        MarkerData: z-up world frame.
    """
    lines = [(i + 1, line) for i, line in enumerate(_open_text(path)) if line.strip()]
    if labels is None:
        labels_path = osp.join(osp.dirname(path), 'marker_labels.txt')
        if not osp.isfile(labels_path):
            raise FileNotFoundError(
                f'{path}: the Qualisys text format has no marker names; expected them in '
                f'{labels_path} or passed as labels=')
        labels = read_marker_labels(labels_path)
    if len(lines) != len(labels):
        raise MocapFormatError(f'{path}: {len(lines)} marker lines but {len(labels)} labels')
    rows = []
    for line_no, line in lines:
        values = _parse_float_row(line.rstrip(',').split(','), path, line_no)
        if len(values) % 3:
            raise MocapFormatError(f'{path}, line {line_no}: {len(values)} values is not a '
                                   'whole number of x,y,z triplets (truncated file?)')
        rows.append(values)
    lengths = {len(r) for r in rows}
    if len(lengths) != 1:
        counts = [len(r) // 3 for r in rows]
        short = [lines[i][0] for i, c in enumerate(counts) if c < max(counts)]
        raise MocapFormatError(f'{path}: marker lines have different frame counts '
                               f'({min(counts)}..{max(counts)}); short lines: {short[:10]} '
                               '(truncated file?)')
    positions = np.stack([r.reshape(-1, 3) for r in rows], axis=1)
    assumed = rate_hz is None
    if assumed:
        rate_hz = QUALISYS_TXT_DEFAULT_RATE_HZ
        warnings.warn(f'{path}: the Qualisys text format stores no frame rate: read at '
                      f'{rate_hz:g} Hz (the RunningPose capture); give the real rate '
                      '(rate_hz=, --rate) if yours differs', AssumedRateWarning)
    if not rate_hz > 0:
        raise MocapFormatError(f'{path}: rate_hz must be > 0, got {rate_hz}')
    return MarkerData(list(labels), _zero_triplets_to_nan(positions), float(rate_hz), units,
                      'z', path, dict(format='qualisys_txt', rate_assumed=assumed))


def read_qtm_tsv(path: str) -> MarkerData:
    """Qualisys QTM's 3D TSV export (header ``KEY<TAB>value`` lines, then frames).

    Header keys used: ``NO_OF_FRAMES``, ``NO_OF_MARKERS``, ``FREQUENCY``, ``MARKER_NAMES``
    (followed by the names). An optional column row (``Frame  Time  Name X ...``) is
    skipped. Values are mm; an exact (0, 0, 0) or an empty triplet is missing.
    """
    lines = _open_text(path)
    header = {}
    row = 0
    while row < len(lines):
        fields = lines[row].rstrip('\n').split('\t')
        key = fields[0].strip()
        if key and key.replace('_', '').isalpha() and key.isupper():
            header[key] = [f.strip() for f in fields[1:]]
            row += 1
        else:
            break
    for key in ('NO_OF_FRAMES', 'NO_OF_MARKERS', 'FREQUENCY', 'MARKER_NAMES'):
        if key not in header:
            raise MocapFormatError(f'{path}: header has no {key} line; not a QTM 3D TSV '
                                   f'export (found: {sorted(header)})')
    names = [n for n in header['MARKER_NAMES'] if n]
    try:
        num_frames = int(header['NO_OF_FRAMES'][0])
        num_markers = int(header['NO_OF_MARKERS'][0])
        rate = float(header['FREQUENCY'][0])
    except (ValueError, IndexError):
        raise MocapFormatError(f'{path}: NO_OF_FRAMES / NO_OF_MARKERS / FREQUENCY must be '
                               'numbers') from None
    if num_frames < 1 or num_markers < 1 or not (np.isfinite(rate) and rate > 0):
        raise MocapFormatError(f'{path}: NO_OF_FRAMES {num_frames}, NO_OF_MARKERS '
                               f'{num_markers}, FREQUENCY {rate:g}: must be positive')
    if len(names) != num_markers:
        raise MocapFormatError(f'{path}: NO_OF_MARKERS is {num_markers} but MARKER_NAMES '
                               f'lists {len(names)}')
    if row < len(lines) and lines[row].split('\t')[0].strip().lower() == 'frame':
        row += 1  # column header row
    data_lines = [(i + 1, lines[i]) for i in range(row, len(lines)) if lines[i].strip()]
    if len(data_lines) != num_frames:
        raise MocapFormatError(f'{path}: header says {num_frames} frames, file has '
                               f'{len(data_lines)} data rows (truncated file?)')
    width = 3 * num_markers
    positions = np.full((num_frames, num_markers, 3), np.nan)
    times = []
    for t, (line_no, line) in enumerate(data_lines):
        values = _parse_float_row(line.split('\t'), path, line_no)
        # with Frame and Time columns the row is 2 wider than the marker values
        if len(values) == width + 2:
            times.append(values[1])
            values = values[2:]
        elif len(values) != width:
            raise MocapFormatError(f'{path}, line {line_no}: {len(values)} values, expected '
                                   f'{width} (or {width + 2} with Frame and Time)')
        positions[t] = values.reshape(num_markers, 3)
    if len(times) == num_frames and np.isfinite(times).all():
        check_sample_times(np.array(times), rate, path, [n for n, _ in data_lines])
    return MarkerData(names, _zero_triplets_to_nan(positions), rate, 'mm', 'z', path,
                      dict(format='qtm_tsv', header=header))


def read_trc(path: str) -> MarkerData:
    """OpenSim TRC: 5 header lines (``PathFileType``, keys, values, names, X1 Y1 Z1 ...),
    then ``Frame# Time X1 Y1 Z1 ...`` rows, tab separated. Empty fields are missing.
    OpenSim's world is y up."""
    lines = _open_text(path)
    if len(lines) < 6 or not lines[0].startswith('PathFileType'):
        raise MocapFormatError(f'{path}: not an OpenSim TRC file (first line should start '
                               'with PathFileType)')
    keys = lines[1].split('\t')
    values = lines[2].split('\t')
    header = {k.strip(): v.strip() for k, v in zip(keys, values) if k.strip()}
    for key in ('DataRate', 'NumFrames', 'NumMarkers', 'Units'):
        if key not in header:
            raise MocapFormatError(f'{path}: header line 2 has no {key}')
    try:
        rate = float(header['DataRate'])
        num_frames = int(header['NumFrames'])
        num_markers = int(header['NumMarkers'])
    except ValueError:
        raise MocapFormatError(f'{path}: DataRate/NumFrames/NumMarkers must be numbers') from None
    if num_frames < 1 or num_markers < 1 or not (np.isfinite(rate) and rate > 0):
        raise MocapFormatError(f'{path}: NumFrames {num_frames}, NumMarkers {num_markers}, '
                               f'DataRate {rate:g}: must be positive')
    names = [n.strip() for n in lines[3].split('\t')[2:] if n.strip()]
    if len(names) != num_markers:
        raise MocapFormatError(f'{path}: NumMarkers is {num_markers}, line 4 names '
                               f'{len(names)}')
    data_lines = [(i + 1, lines[i]) for i in range(5, len(lines)) if lines[i].strip()]
    if len(data_lines) < num_frames:
        raise MocapFormatError(f'{path}: header says {num_frames} frames, file has '
                               f'{len(data_lines)} (truncated file?)')
    data_lines = data_lines[:num_frames]
    width = 2 + 3 * num_markers
    positions = np.full((num_frames, num_markers, 3), np.nan)
    times = np.zeros(num_frames)
    for t, (line_no, line) in enumerate(data_lines):
        fields = line.split('\t')
        if len(fields) < width:
            fields += [''] * (width - len(fields))  # trailing missing markers
        row = _parse_float_row(fields[:width], path, line_no)
        times[t] = row[1]
        positions[t] = row[2:].reshape(num_markers, 3)
    if not np.isfinite(times).all():
        bad = int(np.flatnonzero(~np.isfinite(times))[0])
        raise MocapFormatError(f'{path}, line {data_lines[bad][0]}: no time value')
    check_sample_times(times, rate, path, [n for n, _ in data_lines])
    units = header['Units'].lower()
    return MarkerData(names, positions, rate, units, 'y', path,
                      dict(format='trc', header=header, start_time_s=float(times[0])))


#: run in a child process by read_c3d: ezc3d is C++ and some corrupt files crash it
#: (segmentation fault) instead of raising, which would take the caller down with it
_C3D_CHILD = r"""
import sys
import numpy as np
import ezc3d

def string(group, name):
    values = group.get(name, {}).get('value', [])
    return str(values[0]).strip() if len(values) else ''

try:
    c3d = ezc3d.c3d(sys.argv[1])
    point = c3d['parameters']['POINT']
    rate = float(np.asarray(point['RATE']['value'], dtype=np.float64).reshape(-1)[0])
    out = dict(names=np.array([str(n).strip() for n in point['LABELS']['value']]),
               rate=rate, units=string(point, 'UNITS'), y_screen=string(point, 'Y_SCREEN'),
               points=np.asarray(c3d['data']['points'], dtype=np.float64))
    meta = c3d['data'].get('meta_points', {})
    if 'residuals' in meta:
        out['residuals'] = np.asarray(meta['residuals'], dtype=np.float64)
    np.savez(sys.argv[2], **out)
except Exception as exc:  # reported to the parent as the reason
    sys.stderr.write(f'{type(exc).__name__}: {exc}')
    sys.exit(3)
"""


def run_c3d_child(code: str, path: str, failure: str) -> dict:
    """Run ``code`` (a script that reads ``sys.argv[1]`` with ezc3d and saves arrays to
    the .npz ``sys.argv[2]``) in a child process and return the arrays: a C3D file that
    crashes ezc3d then gives a ``MocapFormatError`` (``failure``: what could not be
    done), not a dead caller."""
    import subprocess
    import sys
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        out = osp.join(tmp, 'c3d.npz')
        child = subprocess.run([sys.executable, '-c', code, path, out],
                               capture_output=True, text=True)
        if child.returncode != 0:
            why = child.stderr.strip().splitlines()[-1] if child.stderr.strip() else \
                f'ezc3d stopped with code {child.returncode}' + \
                (' (crashed: a corrupt file)' if child.returncode < 0 else '')
            raise MocapFormatError(f'{path}: {failure} ({why})')
        with np.load(out) as data:
            return {k: data[k] for k in data.files}


def read_c3d(path: str) -> MarkerData:
    """C3D through ezc3d (maintained by the pyomeca group; binary wheels; reads the
    Vicon/Qualisys/Motion Analysis variants and their parameter sections), in a child
    process so that a corrupt file that crashes ezc3d gives an error, not a dead caller.

    Points with a negative residual (the C3D 'invalid' flag) or exact zeros are missing.
    C3D has no fixed up axis; the reader assumes z up (Vicon and Qualisys default)
    unless the ``POINT:Y_SCREEN`` parameter says ``+Y``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'mocap file {path} does not exist')
    c3d = run_c3d_child(_C3D_CHILD, path, 'cannot read as C3D')
    names = [str(n) for n in c3d['names']]
    data = c3d['points']  # (4, M, T)
    if data.ndim != 3 or data.shape[0] < 3:
        raise MocapFormatError(f'{path}: cannot read as C3D (points of shape {data.shape})')
    positions = data[:3].transpose(2, 1, 0).copy()
    if 'residuals' in c3d:
        residuals = c3d['residuals'].reshape(-1, positions.shape[1], positions.shape[0])[0]
        positions[residuals.T < 0] = np.nan
    if len(names) < positions.shape[1]:
        raise MocapFormatError(f'{path}: {positions.shape[1]} points but {len(names)} '
                               'POINT:LABELS')
    units = str(c3d['units']).lower() or 'mm'
    up = 'y' if str(c3d['y_screen']).upper() == '+Y' else 'z'
    return MarkerData(names[:positions.shape[1]], _zero_triplets_to_nan(positions),
                      float(c3d['rate']), units, up, path, dict(format='c3d'))


def read_time_table(path: str, what: str) -> Tuple[List[str], np.ndarray]:
    """A tab-separated table: a header row whose first column is ``Time``, then one row
    per sample (marker tables, force tables). Every row must have one value per column,
    and the time column must be complete and increase evenly (``check_sample_times``).

    Args:
        path (str): the file.
        what (str): what the table should be, for messages ('marker table', ...).

    Returns:
        tuple: the column names and an (N, C) float array.
    """
    lines = _open_text(path)
    names = [n.strip() for n in lines[0].split('\t')] if lines else []
    if not names or names[0].lower() != 'time':
        raise MocapFormatError(f'{path}: not a {what} (the first column should be "Time")')
    rows, line_numbers = [], []
    for i in range(1, len(lines)):
        if not lines[i].strip():
            continue
        row = _parse_float_row(lines[i].split('\t'), path, i + 1)
        if len(row) != len(names):
            raise MocapFormatError(f'{path}, line {i + 1}: {len(row)} values for '
                                   f'{len(names)} columns (truncated file?)')
        rows.append(row)
        line_numbers.append(i + 1)
    if len(rows) < 2:
        raise MocapFormatError(f'{path}: fewer than two rows')
    data = np.stack(rows)
    if not np.isfinite(data[:, 0]).all():
        line = line_numbers[int(np.argmin(np.isfinite(data[:, 0])))]
        raise MocapFormatError(f'{path}, line {line}: no time value')
    check_sample_times(data[:, 0], None, path, line_numbers)
    return names, data


def read_marker_table(path: str, units: str = 'mm', up_axis: str = 'y') -> MarkerData:
    """A tab-separated marker table (``read_time_table``): ``Time`` (seconds), then
    ``<name>X``, ``<name>Y``, ``<name>Z`` per marker; one row per frame. This is the
    Running Biomechanics Data Set's format (Fukuchi et al. 2017: millimetres, y up), and
    what many labs' scripts write. The rate comes from the time column.

    Args:
        path (str): the ``.txt`` file.
        units (str): unit of the values (the file does not say; RBDS: mm).
        up_axis (str): the vertical axis (RBDS: y).
    """
    columns, table = read_time_table(path, 'marker table')
    columns = columns[1:]
    if not columns or len(columns) % 3:
        raise MocapFormatError(f'{path}: {len(columns)} columns after Time is not X, Y, Z '
                               'per marker')
    names = []
    for k in range(0, len(columns), 3):
        triplet = columns[k:k + 3]
        name = triplet[0][:-1]
        if [c[-1:].upper() for c in triplet] != ['X', 'Y', 'Z'] or \
                any(c[:-1] != name for c in triplet) or not name:
            raise MocapFormatError(f'{path}: columns {k + 2}-{k + 4} are {triplet}, expected '
                                   '<name>X, <name>Y, <name>Z')
        names.append(name)
    times = table[:, 0]
    rate = (len(times) - 1) / float(times[-1] - times[0])
    positions = table[:, 1:].reshape(len(table), len(names), 3)
    return MarkerData(names, _zero_triplets_to_nan(positions), rate, units, up_axis, path,
                      dict(format='marker_table', start_time_s=float(times[0])))


def _is_marker_table(path: str) -> bool:
    if not osp.isfile(path):
        return False
    with open(path, 'r', encoding='utf-8-sig', errors='replace') as f:
        return f.readline().split('\t')[0].strip().lower() == 'time'


def read_markers(path: str, **kwargs) -> MarkerData:
    """Read any supported marker file by its extension (.txt, .tsv, .trc, .c3d). A
    ``.txt`` whose first line starts with a ``Time`` column is a marker table
    (``read_marker_table``), otherwise the Qualisys text format."""
    ext = osp.splitext(path)[1].lower()
    readers = {'.txt': read_marker_table if _is_marker_table(path) else read_qualisys_txt,
               '.tsv': read_qtm_tsv, '.trc': read_trc, '.c3d': read_c3d}
    if ext not in readers:
        raise MocapFormatError(f'{path}: unknown marker file type {ext!r}; supported: '
                               f'{sorted(readers)}')
    return readers[ext](path, **kwargs)
