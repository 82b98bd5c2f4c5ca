import os
import os.path as osp

import numpy as np
import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED_DATA = os.environ.get('RUNNINGPOSE_SHARED_DATA',
                             osp.join(osp.dirname(REPO), 'shared', 'data'))


def shared_file(*parts: str) -> str:
    """Path of a file in ../shared/data, or skip the test with the reason."""
    path = osp.join(SHARED_DATA, *parts)
    if not osp.isfile(path):
        pytest.skip(f'real mocap file {path} not present (set RUNNINGPOSE_SHARED_DATA)')
    return path


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _headless_matplotlib(monkeypatch):
    monkeypatch.setenv('MPLBACKEND', 'Agg')
