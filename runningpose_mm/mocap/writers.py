"""Writers for marker-style files (the formats the readers read)."""
from typing import Sequence

import numpy as np


def write_trc(path: str, names: Sequence[str], positions_mm: np.ndarray, rate_hz: float) -> None:
    """OpenSim TRC: (T, M, 3) positions in millimetres; NaN samples become empty fields."""
    num_frames, num_markers = positions_mm.shape[:2]
    lines = [f'PathFileType\t4\t(X/Y/Z)\t{path}',
             'DataRate\tCameraRate\tNumFrames\tNumMarkers\tUnits\tOrigDataRate\t'
             'OrigDataStartFrame\tOrigNumFrames',
             f'{rate_hz:g}\t{rate_hz:g}\t{num_frames}\t{num_markers}\tmm\t{rate_hz:g}\t1\t'
             f'{num_frames}',
             'Frame#\tTime\t' + '\t\t\t'.join(names) + '\t\t',
             '\t\t' + '\t'.join(f'X{i + 1}\tY{i + 1}\tZ{i + 1}' for i in range(num_markers)),
             '']
    for t in range(num_frames):
        values = ['' if not np.isfinite(v) else f'{v:.4f}' for v in positions_mm[t].ravel()]
        lines.append(f'{t + 1}\t{t / rate_hz:.5f}\t' + '\t'.join(values))
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
