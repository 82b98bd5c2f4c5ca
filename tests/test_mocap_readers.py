"""Mocap readers: files generated here in each format, the shared real files, bad input."""
import json
import os.path as osp

import numpy as np
import pytest

from runningpose_mm.mocap import (MocapFormatError, contacts_from_grf, read_c3d,
                                  read_markers, read_qtm_tsv, read_qualisys_txt, read_trc)
from runningpose_mm.mocap.readers import AssumedRateWarning
from runningpose_mm.mocap.writers import write_trc as write_marker_trc

from conftest import shared_file

NAMES = ['LASI', 'RASI', 'SACR']


def _trajectories(num_frames=5):
    t = np.arange(num_frames)[:, None, None]
    base = np.array([[100.0, 200.0, 900.0], [100.0, -50.0, 905.0], [-60.0, 75.0, 950.0]])
    return base[None] + t * np.array([10.0, 0.0, 1.0])  # (T, 3, 3) mm, moving along x


def write_qualisys_txt(path, positions, drop_last_value_of_line=None):
    lines = []
    for m in range(positions.shape[1]):
        values = [f'{v:.2f}' for v in positions[:, m].reshape(-1)]
        if drop_last_value_of_line == m:
            values = values[:-3]
        lines.append(','.join(values))
    path.write_text('\n'.join(lines) + '\n')


def write_qtm_tsv(path, positions, names, rate=200.0, frames_in_header=None):
    num_frames = len(positions)
    header = [f'NO_OF_FRAMES\t{frames_in_header or num_frames}', 'NO_OF_CAMERAS\t8',
              f'NO_OF_MARKERS\t{len(names)}', f'FREQUENCY\t{rate:g}', 'NO_OF_ANALOG\t0',
              'ANALOG_FREQUENCY\t0', 'DESCRIPTION\t--', 'TIME_STAMP\t2026-11-23, 10:00:00',
              'DATA_INCLUDED\t3D', 'MARKER_NAMES\t' + '\t'.join(names),
              'TRAJECTORY_TYPES\t' + '\t'.join(['Measured'] * len(names)),
              'Frame\tTime\t' + '\t'.join(f'{n} X\t{n} Y\t{n} Z' for n in names)]
    rows = [f'{t + 1}\t{t / rate:.3f}\t' + '\t'.join(f'{v:.3f}' for v in positions[t].ravel())
            for t in range(num_frames)]
    path.write_text('\n'.join(header + rows) + '\n')


def write_trc(path, positions, names, rate=100.0):
    write_marker_trc(str(path), names, positions, rate)


def test_qualisys_txt_one_line_per_marker(tmp_path):
    pos = _trajectories()
    pos[2, 1] = 0.0  # Qualisys exports a missing sample as (0, 0, 0)
    write_qualisys_txt(tmp_path / 'trial.txt', pos)
    data = read_qualisys_txt(str(tmp_path / 'trial.txt'), labels=NAMES, rate_hz=170)
    assert data.names == NAMES and data.rate_hz == 170 and data.units == 'mm'
    assert data.positions.shape == (5, 3, 3)
    np.testing.assert_allclose(data.marker('SACR')[4], [-20.0, 75.0, 954.0])
    assert np.isnan(data.positions[2, 1]).all() and np.isfinite(data.positions[1, 1]).all()


def test_qualisys_txt_labels_from_the_labels_file(tmp_path):
    write_qualisys_txt(tmp_path / 'trial.txt', _trajectories())
    (tmp_path / 'marker_labels.txt').write_text('\n'.join(NAMES) + '\n')
    with pytest.warns(AssumedRateWarning, match='stores no frame rate: read at 170 Hz'):
        data = read_markers(str(tmp_path / 'trial.txt'))
    assert data.names == NAMES and data.rate_hz == 170 and data.metadata['rate_assumed']
    given = read_markers(str(tmp_path / 'trial.txt'), rate_hz=85.0)
    assert given.rate_hz == 85 and not given.metadata['rate_assumed']


def test_the_tools_take_the_rate_of_a_file_that_stores_none(tmp_path):
    """gait_report --rate and build_runningpose --trial ...,RATE_HZ read a Qualisys text
    file at the given rate (timing scales with it); without it the assumed 170 Hz is
    printed."""
    import subprocess
    import sys
    from conftest import REPO
    path = shared_file('qualisys_tindra', 'Tindra2.txt')
    tool = osp.join(REPO, 'tools', 'gait_report.py')
    cadence = {}
    for rate in (None, 85):
        out = subprocess.run([sys.executable, tool, path, '--marker-map',
                              'runningpose_qualisys45', '--out', str(tmp_path / f'r{rate}')]
                             + (['--rate', str(rate)] if rate else []),
                             capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        assert ('read at 170 Hz' in out.stdout) == (rate is None)
        cadence[rate] = json.load(open(tmp_path / f'r{rate}' / 'gait.json'))['summary'][
            'cadence_spm']
    # timing scales with the rate (not exactly: the event detection's windows are in
    # seconds, so at half the rate it sees the same frames over twice the time)
    assert cadence[85] == pytest.approx(cadence[None] / 2, rel=0.03)
    builder = osp.join(REPO, 'tools', 'dataset_converters', 'build_runningpose.py')
    out = subprocess.run([sys.executable, builder, '--out', str(tmp_path / 'd'), '--cameras',
                          '1', '--no-progress', '--trial',
                          f'T2={path},runningpose_qualisys45,test,tindra,85'],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    summary = json.load(open(tmp_path / 'd' / 'summary.json'))
    assert summary['trials']['T2']['rate_mocap_hz'] == 85.0
    assert summary['trials']['T2']['frames'] == 399  # 678 frames at 85 Hz -> 50 fps


def test_truncated_qualisys_txt_names_the_short_line(tmp_path):
    write_qualisys_txt(tmp_path / 'trial.txt', _trajectories(), drop_last_value_of_line=2)
    with pytest.raises(MocapFormatError, match=r'trial.txt.*short lines: \[3\]'):
        read_qualisys_txt(str(tmp_path / 'trial.txt'), labels=NAMES)


def test_qtm_tsv_with_header_and_column_row(tmp_path):
    pos = _trajectories(6)
    pos[3, 0] = 0.0
    write_qtm_tsv(tmp_path / 'trial.tsv', pos, NAMES, rate=300)
    data = read_qtm_tsv(str(tmp_path / 'trial.tsv'))
    assert data.names == NAMES and data.rate_hz == 300 and data.num_frames == 6
    np.testing.assert_allclose(data.positions[5], pos[5], atol=1e-3)
    assert np.isnan(data.positions[3, 0]).all()


def test_truncated_qtm_tsv_is_reported(tmp_path):
    write_qtm_tsv(tmp_path / 'trial.tsv', _trajectories(6), NAMES, frames_in_header=10)
    with pytest.raises(MocapFormatError, match='header says 10 frames, file has 6'):
        read_qtm_tsv(str(tmp_path / 'trial.tsv'))


def test_trc_reader_keeps_y_up_and_empty_fields_as_missing(tmp_path):
    pos = _trajectories(4)
    pos[1, 2] = np.nan
    write_trc(tmp_path / 'trial.trc', pos, NAMES)
    data = read_trc(str(tmp_path / 'trial.trc'))
    assert data.up_axis == 'y' and data.rate_hz == 100 and data.units == 'mm'
    np.testing.assert_allclose(data.positions[3], pos[3], atol=1e-4)
    assert np.isnan(data.positions[1, 2]).all()
    # z_up turns OpenSim's y-up frame into a right-handed z-up one
    z_up = data.z_up()
    np.testing.assert_allclose(z_up.positions[0, 0], pos[0, 0, [2, 0, 1]])


def test_c3d_written_with_ezc3d_reads_back(tmp_path):
    import ezc3d
    pos = _trajectories(7)
    c3d = ezc3d.c3d()
    c3d['parameters']['POINT']['RATE']['value'] = [250.0]
    c3d['parameters']['POINT']['LABELS']['value'] = tuple(NAMES)
    points = np.ones((4, len(NAMES), len(pos)))
    points[:3] = pos.transpose(2, 1, 0)
    c3d['data']['points'] = points
    c3d.write(str(tmp_path / 'trial.c3d'))
    data = read_c3d(str(tmp_path / 'trial.c3d'))
    assert data.names == NAMES and data.rate_hz == 250 and data.num_frames == 7
    np.testing.assert_allclose(data.positions, pos, atol=1e-3)


def test_corrupt_c3d_gives_a_clear_error(tmp_path):
    (tmp_path / 'broken.c3d').write_bytes(b'\x02P' + b'\x00' * 20)
    with pytest.raises(MocapFormatError, match='broken.c3d: cannot read as C3D'):
        read_c3d(str(tmp_path / 'broken.c3d'))


def test_unknown_extension_lists_supported_ones(tmp_path):
    (tmp_path / 'trial.xyz').write_text('1 2 3')
    with pytest.raises(MocapFormatError, match=r"unknown marker file type '.xyz'"):
        read_markers(str(tmp_path / 'trial.xyz'))


def test_grf_contacts_from_a_generated_mot(tmp_path):
    rate = 1000.0
    t = np.arange(0, 2.0, 1 / rate)
    right = np.where((t > 0.2) & (t < 0.45), 1500 * np.sin(np.pi * (t - 0.2) / 0.25), 0)
    left = np.where((t > 0.7) & (t < 0.95), 1500 * np.sin(np.pi * (t - 0.7) / 0.25), 0)
    rows = '\n'.join(f'{a:.4f}\t{r:.3f}\t{l:.3f}' for a, r, l in zip(t, right, left))
    (tmp_path / 'grf.mot').write_text(
        'name grf\ndatacolumns 3\nendheader\ntime\tR_ground_force_vy\tL_ground_force_vy\n'
        + rows + '\n')
    contacts = contacts_from_grf(str(tmp_path / 'grf.mot'), threshold_n=50)
    # 50 N is reached where 1500 sin(pi s / 0.25) = 50
    s = 0.25 * np.arcsin(50 / 1500) / np.pi
    np.testing.assert_allclose(contacts.contacts_s['right'], [[0.2 + s, 0.45 - s]], atol=2e-3)
    np.testing.assert_allclose(contacts.contacts_s['left'], [[0.7 + s, 0.95 - s]], atol=2e-3)


def test_real_qualisys_trials():
    path = shared_file('qualisys_tindra', 'Tindra1.txt')
    data = read_markers(path)
    assert data.num_frames == 685 and len(data.names) == 45 and data.rate_hz == 170
    assert np.isfinite(data.positions).all()  # no gaps in these trials
    data.check_units()


def test_real_trc_and_force_plates():
    data = read_trc(shared_file('hamner2013_subject04', 'run200_markers.trc'))
    assert data.num_frames == 237 and len(data.names) == 42 and data.rate_hz == 100
    contacts = contacts_from_grf(shared_file('hamner2013_subject04', 'run300_grf.mot'))
    for side in ('left', 'right'):
        times = contacts.contact_times_s(side)
        assert len(times) == 3
        assert np.all((times > 0.25) & (times < 0.33))  # ~0.29 s at 3 m/s


def test_infinite_absurd_and_unevenly_timed_values_are_reported(tmp_path):
    """What the readers once took silently: a value beyond float range (inf after
    parsing) in a Qualisys text or .mot file, a finite but absurd coordinate, a .mot with
    rows missing (read as if evenly sampled) and a TRC whose times contradict its rate."""
    pos = _trajectories(6)
    write_qualisys_txt(tmp_path / 'trial.txt', pos)
    text = (tmp_path / 'trial.txt').read_text()
    (tmp_path / 'inf.txt').write_text(text.replace('110.00', '1e400', 1))
    with pytest.raises(MocapFormatError, match=r"inf.txt, line 1: field 4 is '1e400', not a "
                                               'finite number'):
        read_qualisys_txt(str(tmp_path / 'inf.txt'), labels=NAMES, rate_hz=170)
    (tmp_path / 'far.txt').write_text(text.replace('110.00', '1e308', 1))
    with pytest.raises(MocapFormatError, match=r"far.txt: marker 'LASI', frame 2: .* beyond "
                                               '10000 m'):
        read_qualisys_txt(str(tmp_path / 'far.txt'), labels=NAMES, rate_hz=170)

    t = np.arange(0, 1.0, 1 / 100)
    force = np.where((t > 0.2) & (t < 0.45), 1000.0, 0.0)
    header = 'name grf\nendheader\ntime\tR_ground_force_vy\tL_ground_force_vy\n'
    rows = [f'{a:.4f}\t{f:.3f}\t{f:.3f}' for a, f in zip(t, force)]
    (tmp_path / 'inf.mot').write_text(header + '\n'.join(
        rows[:30] + ['0.3000\t1e999\t0'] + rows[31:]) + '\n')
    with pytest.raises(MocapFormatError, match=r"inf.mot, line 34: field 2 is '1e999'"):
        contacts_from_grf(str(tmp_path / 'inf.mot'))
    (tmp_path / 'gap.mot').write_text(header + '\n'.join(rows[:40] + rows[45:]) + '\n')
    with pytest.raises(MocapFormatError, match=r'gap.mot, line 44: the time column jumps '
                                               r'\(0.39 -> 0.45 s'):
        contacts_from_grf(str(tmp_path / 'gap.mot'))
    (tmp_path / 'swap.mot').write_text(header + '\n'.join(
        rows[:40] + [rows[41], rows[40]] + rows[42:]) + '\n')
    with pytest.raises(MocapFormatError, match=r'swap.mot, line 45: the time column does not '
                                               r'increase \(0.41 -> 0.4 s'):
        contacts_from_grf(str(tmp_path / 'swap.mot'))

    write_trc(tmp_path / 'rate.trc', _trajectories(12), NAMES, rate=100.0)
    text = (tmp_path / 'rate.trc').read_text().splitlines()
    text[2] = text[2].replace('100', '120', 1)  # DataRate says 120 Hz, times are 100 Hz
    (tmp_path / 'rate.trc').write_text('\n'.join(text) + '\n')
    with pytest.raises(MocapFormatError, match='rate.trc'):
        read_trc(str(tmp_path / 'rate.trc'))
