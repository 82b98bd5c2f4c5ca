"""Seeded fuzzing of every file reader: truncated, reordered, garbled and huge-valued
versions of valid mocap (Qualisys text, marker and force tables, QTM TSV, TRC, C3D, OpenSim
.mot) and 2D keypoint (MMPose JSON, NPZ, CSV) files. A reader either returns data without infinities (and
times that increase evenly) or raises its format's error naming the file; never an
exception from inside numpy, json, zipfile or ezc3d."""
import json
import os.path as osp
import warnings

import numpy as np
import pytest

from runningpose_mm.apis.keypoint_conversion import source_keypoint_names
from runningpose_mm.apis.keypoint_files import KeypointFileError, read_keypoints_2d
from runningpose_mm.mocap import (MocapFormatError, contacts_from_grf, read_force_plates,
                                  read_markers)
from runningpose_mm.mocap.writers import write_trc

NAMES = ['LASI', 'RASI', 'SACR']
NUM_FRAMES = 12
BAD_NUMBERS = ['1e400', '-1e999', 'inf', '-Infinity', '1e308', '-9e307', 'nan', '', 'abc',
               '--', '1e-400', '0x1p3', '1,5', '\x00']


def _positions():
    t = np.arange(NUM_FRAMES)[:, None, None]
    base = np.array([[100.0, 200.0, 900.0], [100.0, -50.0, 905.0], [-60.0, 75.0, 950.0]])
    return base[None] + t * np.array([10.0, 0.0, 1.0])


def _valid_files(folder):
    """name -> path of one valid file per format."""
    pos = _positions()
    files = {}
    (folder / 'marker_labels.txt').write_text('\n'.join(NAMES) + '\n')
    (folder / 'trial.txt').write_text('\n'.join(
        ','.join(f'{v:.2f}' for v in pos[:, m].reshape(-1)) for m in range(len(NAMES))) + '\n')
    files['txt'] = folder / 'trial.txt'
    (folder / 'table.txt').write_text(  # a marker table (RBDS): Time, then X Y Z per marker
        'Time\t' + '\t'.join(f'{n}X\t{n}Y\t{n}Z' for n in NAMES) + '\n' + '\n'.join(
            f'{t / 150:.3f}\t' + '\t'.join(f'{v:.2f}' for v in pos[t].ravel())
            for t in range(NUM_FRAMES)) + '\n')
    files['table'] = folder / 'table.txt'
    t = np.arange(0, 1.0, 1 / 300)
    fy = np.where((t > 0.2) & (t < 0.45), 1500 * np.sin(np.pi * (t - 0.2) / 0.25), 0)
    (folder / 'forces.txt').write_text(  # an RBDS force table: Time counts samples
        'Time\tFx\tFy\tFz\n' + '\n'.join(f'{k + 1}\t0\t{f:.2f}\t0' for k, f in enumerate(fy))
        + '\n')
    files['forces'] = folder / 'forces.txt'
    header = [f'NO_OF_FRAMES\t{NUM_FRAMES}', 'NO_OF_CAMERAS\t8', f'NO_OF_MARKERS\t{len(NAMES)}',
              'FREQUENCY\t200', 'MARKER_NAMES\t' + '\t'.join(NAMES),
              'Frame\tTime\t' + '\t'.join(f'{n} X\t{n} Y\t{n} Z' for n in NAMES)]
    rows = [f'{t + 1}\t{t / 200:.3f}\t' + '\t'.join(f'{v:.3f}' for v in pos[t].ravel())
            for t in range(NUM_FRAMES)]
    (folder / 'trial.tsv').write_text('\n'.join(header + rows) + '\n')
    files['tsv'] = folder / 'trial.tsv'
    write_trc(str(folder / 'trial.trc'), NAMES, pos, 100.0)
    files['trc'] = folder / 'trial.trc'
    import ezc3d
    c3d = ezc3d.c3d()
    c3d['parameters']['POINT']['RATE']['value'] = [250.0]
    c3d['parameters']['POINT']['LABELS']['value'] = tuple(NAMES)
    points = np.ones((4, len(NAMES), NUM_FRAMES))
    points[:3] = pos.transpose(2, 1, 0)
    c3d['data']['points'] = points
    c3d.write(str(folder / 'trial.c3d'))
    files['c3d'] = folder / 'trial.c3d'
    t = np.arange(0, 1.0, 1 / 200)
    right = np.where((t > 0.2) & (t < 0.45), 1500 * np.sin(np.pi * (t - 0.2) / 0.25), 0)
    left = np.where((t > 0.6) & (t < 0.85), 1500 * np.sin(np.pi * (t - 0.6) / 0.25), 0)
    (folder / 'grf.mot').write_text(
        'name grf\ndatacolumns 3\nendheader\ntime\tR_ground_force_vy\tL_ground_force_vy\n' +
        '\n'.join(f'{a:.4f}\t{r:.3f}\t{l:.3f}' for a, r, l in zip(t, right, left)) + '\n')
    files['mot'] = folder / 'grf.mot'
    rng = np.random.default_rng(0)
    kp = rng.uniform(100, 400, (NUM_FRAMES, 26, 2))
    frames = [dict(frame_id=i, instances=[dict(keypoints=kp[i].round(1).tolist(),
                                               keypoint_scores=[0.9] * 26,
                                               bbox=[[90.0, 90.0, 410.0, 410.0]])])
              for i in range(NUM_FRAMES)]
    (folder / 'pred.json').write_text(json.dumps(frames))
    files['json'] = folder / 'pred.json'
    np.savez(folder / 'kp.npz', keypoints=kp.astype(np.float32),
             scores=np.full((NUM_FRAMES, 26), 0.9, np.float32), fps=30.0, width=640,
             height=480)
    files['npz'] = folder / 'kp.npz'
    names = source_keypoint_names('halpe26')
    (folder / 'kp.csv').write_text(
        ','.join(f'{n}_x,{n}_y,{n}_score' for n in names) + '\n' + '\n'.join(
            ','.join(f'{x:.1f},{y:.1f},0.9' for x, y in kp[i]) for i in range(NUM_FRAMES)) +
        '\n')
    files['csv'] = folder / 'kp.csv'
    return files


def _mutate(data: bytes, rng) -> tuple:
    """One random corruption of a file's bytes: (description, new bytes)."""
    lines = data.split(b'\n')
    kind = rng.integers(9)
    if kind == 0:
        cut = int(rng.integers(len(data) + 1))
        return f'truncated at byte {cut}', data[:cut]
    if kind == 1 and len(lines) > 1:
        i = int(rng.integers(len(lines)))
        return f'line {i + 1} deleted', b'\n'.join(lines[:i] + lines[i + 1:])
    if kind == 2 and len(lines) > 2:
        i, j = rng.choice(len(lines), 2, replace=False)
        lines[i], lines[j] = lines[j], lines[i]
        return f'lines {i + 1} and {j + 1} swapped', b'\n'.join(lines)
    if kind == 3 and len(lines) > 1:
        i = int(rng.integers(len(lines)))
        return f'line {i + 1} doubled', b'\n'.join(lines[:i + 1] + lines[i:])
    if kind in (4, 5):  # a number replaced by something bad (the most telling case)
        import re
        numbers = list(re.finditer(rb'-?\d+\.?\d*(e-?\d+)?', data))
        if numbers:
            m = numbers[int(rng.integers(len(numbers)))]
            bad = BAD_NUMBERS[int(rng.integers(len(BAD_NUMBERS)))].encode()
            return (f'{m.group().decode()} at byte {m.start()} -> {bad!r}',
                    data[:m.start()] + bad + data[m.end():])
    if kind == 6:
        k = int(rng.integers(1, 9))
        out = bytearray(data)
        for _ in range(k):
            if out:
                out[int(rng.integers(len(out)))] = int(rng.integers(256))
        return f'{k} random bytes', bytes(out)
    if kind == 7:
        return 'binary garbage', rng.bytes(int(rng.integers(1, 400)))
    return 'empty', b''


def _read(kind, path):
    if kind == 'mot':
        return contacts_from_grf(str(path))
    if kind == 'forces':
        return read_force_plates(str(path), rate_hz=300.0)
    if kind in ('json', 'npz', 'csv'):
        return read_keypoints_2d(str(path), fps=30.0 if kind != 'npz' else None,
                                 image_size=(640, 480) if kind != 'npz' else None)
    return read_markers(str(path), **({'rate_hz': 170.0} if kind == 'txt' else {}))


def _check_result(kind, result):
    """What a successful read must satisfy."""
    if kind == 'mot':
        for contacts in result.contacts_s.values():
            assert np.isfinite(contacts).all()
            assert (np.diff(contacts.reshape(-1)) >= 0).all()
    elif kind == 'forces':
        assert (np.diff(result.time_s) > 0).all()
        assert all(np.isfinite(f).all() for f in result.vertical_n.values())
    elif kind in ('json', 'npz', 'csv'):
        assert not np.isinf(result.keypoints).any()
        assert np.isfinite(result.scores).all()
        assert result.fps > 0 and np.isfinite(result.fps)
    else:
        assert not np.isinf(result.positions).any()
        assert np.isfinite(result.rate_hz) and result.rate_hz > 0
        assert np.nanmax(np.abs(result.in_metres().positions), initial=0) < 1e4


KINDS = ('txt', 'table', 'tsv', 'trc', 'mot', 'forces', 'json', 'npz', 'csv')
CASES_PER_KIND = 60


@pytest.mark.parametrize('kind', KINDS)
def test_fuzzed_files_read_or_fail_with_the_formats_error(kind, tmp_path):
    files = _valid_files(tmp_path)
    source = files[kind]
    _check_result(kind, _read(kind, source))  # the valid file reads
    original = source.read_bytes()
    rng = np.random.default_rng(1234 + KINDS.index(kind))
    expected = KeypointFileError if kind in ('json', 'npz', 'csv') else MocapFormatError
    refused = 0
    for case in range(CASES_PER_KIND):
        what, data = _mutate(original, rng)
        source.write_bytes(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                result = _read(kind, source)
        except expected as exc:
            assert osp.basename(source) in str(exc), (what, str(exc))
            refused += 1
            continue
        except Exception as exc:  # noqa: BLE001 (what the test is about)
            pytest.fail(f'{kind} case {case} ({what}): {type(exc).__name__}: {exc}')
        try:
            _check_result(kind, result)
        except AssertionError:
            pytest.fail(f'{kind} case {case} ({what}): read without an error, but wrong')
    assert refused > CASES_PER_KIND // 4  # the corruptions are mostly caught


def test_fuzzed_c3d_read_or_fail_with_the_formats_error(tmp_path):
    """Corrupt C3D files (some crash ezc3d itself: read_c3d runs it in a child process)."""
    path = _valid_files(tmp_path)['c3d']
    original = path.read_bytes()
    rng = np.random.default_rng(99)
    refused = 0
    for case in range(24):
        data = bytearray(original)
        kind = case % 3
        if kind == 0:
            what = 'truncated'
            data = data[:int(rng.integers(len(data)))]
        elif kind == 1:
            what = 'random bytes'
            for _ in range(int(rng.integers(1, 9))):
                data[int(rng.integers(len(data)))] = int(rng.integers(256))
        else:  # a coordinate of the points (header word 9: first 512-byte data block)
            what = 'a huge or infinite value'
            start = (int.from_bytes(original[16:18], 'little') - 1) * 512
            at = start + 4 * int(rng.choice([k for k in range(4 * NUM_FRAMES * len(NAMES))
                                             if k % 4 != 3]))  # x, y or z, not residual
            data[at:at + 4] = np.float32(rng.choice([np.inf, -np.inf, 3e38])).tobytes()
        path.write_bytes(bytes(data))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter('ignore')
                markers = read_markers(str(path))
        except MocapFormatError as exc:
            assert 'trial.c3d' in str(exc)
            refused += 1
            continue
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f'c3d case {case} ({what}): {type(exc).__name__}: {exc}')
        _check_result('c3d', markers)
    assert refused >= 8
