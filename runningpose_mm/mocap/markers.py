"""Marker trajectories: the one in-memory form every mocap reader returns."""
from dataclasses import dataclass, field, replace
from typing import Dict, List, Sequence

import numpy as np

#: length units we read, in metres
UNIT_TO_METRES = {'mm': 1e-3, 'cm': 1e-2, 'm': 1.0}

# A standing or running adult's markers lie roughly 0.1-1.0 m from their centroid
# (median over markers): far outside that the file's unit label is wrong.
_PLAUSIBLE_MEDIAN_SPREAD_M = (0.05, 2.0)


# no capture volume is this large: coordinates beyond it are a broken file
_MAX_COORDINATE_M = 1e4


class MocapFormatError(ValueError):
    """A mocap file that cannot be read as the format it claims to be."""


@dataclass
class MarkerData:
    """Marker trajectories of one trial.

    Attributes:
        names (list[str]): marker labels, one per column of ``positions``.
        positions (np.ndarray): (T, M, 3) positions in ``units``; missing samples NaN.
        rate_hz (float): sampling rate.
        units (str): 'mm', 'cm' or 'm'.
        up_axis (str): world axis pointing up: 'z' (Qualisys, C3D default) or 'y' (OpenSim).
        source (str): file the data came from (for messages).
        metadata (dict): format-specific extras (header fields, ...).
    """
    names: List[str]
    positions: np.ndarray
    rate_hz: float
    units: str = 'mm'
    up_axis: str = 'z'
    source: str = ''
    metadata: Dict = field(default_factory=dict)

    def __post_init__(self):
        self.positions = np.asarray(self.positions, dtype=np.float64)
        if self.positions.ndim != 3 or self.positions.shape[2] != 3:
            raise MocapFormatError(f'{self.source}: positions must be (T, M, 3), got '
                                   f'{self.positions.shape}')
        if self.positions.shape[1] != len(self.names):
            raise MocapFormatError(f'{self.source}: {len(self.names)} marker names for '
                                   f'{self.positions.shape[1]} markers')
        if len(set(self.names)) != len(self.names):
            dupes = sorted({n for n in self.names if self.names.count(n) > 1})
            raise MocapFormatError(f'{self.source}: duplicate marker names {dupes}')
        if self.units not in UNIT_TO_METRES:
            raise MocapFormatError(f'{self.source}: unknown unit {self.units!r}; '
                                   f'expected one of {sorted(UNIT_TO_METRES)}')
        if self.up_axis not in ('x', 'y', 'z'):
            raise MocapFormatError(f'{self.source}: up_axis must be x, y or z')
        if not (np.isfinite(self.rate_hz) and self.rate_hz > 0):
            raise MocapFormatError(f'{self.source}: sampling rate must be > 0, got {self.rate_hz}')
        # missing samples are NaN; an infinity or an absurd magnitude is a broken file
        far = ~np.isnan(self.positions) & ~(np.abs(self.positions) * UNIT_TO_METRES[self.units]
                                           < _MAX_COORDINATE_M)
        if far.any():
            t, m, _ = np.argwhere(far)[0]
            raise MocapFormatError(
                f'{self.source}: marker {self.names[m]!r}, frame {t + 1}: position '
                f'{self.positions[t, m].tolist()} {self.units} is not finite or beyond '
                f'{_MAX_COORDINATE_M:g} m ({int(far.any(-1).sum())} such samples)')

    @property
    def num_frames(self) -> int:
        return self.positions.shape[0]

    @property
    def times_s(self) -> np.ndarray:
        """(T,) sample times in seconds from the first sample."""
        return np.arange(self.num_frames) / self.rate_hz

    def marker(self, name: str) -> np.ndarray:
        """(T, 3) trajectory of one marker."""
        try:
            return self.positions[:, self.names.index(name)]
        except ValueError:
            raise KeyError(f'{self.source}: no marker {name!r}') from None

    def select(self, names: Sequence[str]) -> 'MarkerData':
        idx = [self.names.index(n) for n in names]
        return replace(self, names=list(names), positions=self.positions[:, idx])

    def in_metres(self) -> 'MarkerData':
        scale = UNIT_TO_METRES[self.units]
        return replace(self, positions=self.positions * scale, units='m')

    def z_up(self) -> 'MarkerData':
        """The same data in a right-handed frame whose z axis points up."""
        if self.up_axis == 'z':
            return self
        # rotate the up axis onto z, keeping the frame right-handed
        perm = {'y': [2, 0, 1], 'x': [1, 2, 0]}[self.up_axis]
        return replace(self, positions=self.positions[..., perm], up_axis='z')

    def check_units(self) -> None:
        """Raise if the marker cloud is not person-sized in the declared unit.

        A file in metres labelled mm (or the reverse) gives a skeleton 1000x too small
        (large); this catches it before any joint is computed.
        """
        pos_m = self.positions * UNIT_TO_METRES[self.units]
        valid = np.isfinite(pos_m).all(axis=-1)
        frames = np.flatnonzero(valid.sum(axis=1) >= 3)
        if len(frames) == 0:
            return  # nothing to judge; missing data is reported elsewhere
        spreads = []
        for t in frames[::max(1, len(frames) // 50)]:
            pts = pos_m[t, valid[t]]
            spreads.append(np.median(np.linalg.norm(pts - pts.mean(axis=0), axis=1)))
        spread = float(np.median(spreads))
        low, high = _PLAUSIBLE_MEDIAN_SPREAD_M
        if not low <= spread <= high:
            shown = spread / UNIT_TO_METRES[self.units]
            hint = ''
            for unit, factor in UNIT_TO_METRES.items():
                if low <= spread / UNIT_TO_METRES[self.units] * factor <= high and \
                        unit != self.units:
                    hint = f' The values look like {unit}: set units={unit!r}.'
            raise MocapFormatError(
                f'{self.source}: markers lie a median {shown:.4g} {self.units} from their '
                f'centroid, which is {spread:.4g} m; a person is about 0.1-1 m across. The '
                f'declared unit {self.units!r} is probably wrong.{hint}')

    def fill_gaps(self, max_gap_frames: int) -> 'MarkerData':
        """Fill interior gaps of at most ``max_gap_frames`` samples by cubic interpolation.

        Longer gaps and gaps at the start or end stay NaN.
        """
        from .timeseries import fill_short_gaps
        return replace(self, positions=fill_short_gaps(self.positions, max_gap_frames))

    def missing_fraction(self) -> Dict[str, float]:
        """Fraction of missing samples per marker."""
        missing = ~np.isfinite(self.positions).all(axis=-1)
        return {n: float(m) for n, m in zip(self.names, missing.mean(axis=0))}
