"""Fixes for upstream breakages of the OpenMMLab stack on today's torch/numpy/matplotlib.

Each fix is small, applied once on ``import runningpose_mm``, checks that the upstream
code still has the problem it mends (so a fixed upstream release makes it a no-op), and
has a test in ``tests/test_compat.py`` that exercises the broken path.

- mmengine 0.10.7 loads checkpoints with ``torch.load`` defaults; torch >= 2.6 defaults to
  ``weights_only=True``, which rejects every mmengine checkpoint (they pickle message hub
  state, numpy scalars, ...). mmengine's own checkpoint loaders get a ``torch`` whose
  ``load`` restores the old default. Only those loaders change; the rest of the process
  keeps torch's safer default.
- MMPose's opencv drawing calls ``int(radius)`` on a one-element array; numpy >= 2.4
  refuses to convert arrays with ndim > 0 to scalars.
- ``Pose3dLocalVisualizer`` reads the figure with ``FigureCanvasAgg.tostring_rgb``, removed
  in matplotlib 3.10.
"""
import functools
import types

import warnings

import numpy as np

_applied = False


class _TorchWithCheckpointLoad(types.ModuleType):
    """``torch`` as seen by mmengine's checkpoint loaders: ``load`` defaults to
    ``weights_only=False`` (OpenMMLab checkpoints are full pickles, as before torch 2.6)."""

    def __init__(self, torch_module):
        super().__init__('torch')
        self._torch = torch_module

    def __getattr__(self, name):
        return getattr(self._torch, name)

    def load(self, *args, **kwargs):
        kwargs.setdefault('weights_only', False)
        return self._torch.load(*args, **kwargs)


def fix_mmengine_checkpoint_loading() -> bool:
    """Make mmengine's checkpoint loaders work on torch >= 2.6. Returns True if applied."""
    import inspect

    import torch
    from mmengine.runner import checkpoint as mmengine_checkpoint
    from mmengine.utils.dl_utils import hub as mmengine_hub

    if 'weights_only' not in inspect.signature(torch.load).parameters:
        return False  # old torch: always loaded full pickles
    patched = False
    for module in (mmengine_checkpoint, mmengine_hub):
        if isinstance(getattr(module, 'torch', None), types.ModuleType) and \
                not isinstance(module.torch, _TorchWithCheckpointLoad):
            module.torch = _TorchWithCheckpointLoad(module.torch)
            patched = True
    return patched


def fix_opencv_circle_radius() -> bool:
    """Let MMPose's opencv backend draw circles whose radius is a one-element array."""
    from mmpose.visualization.opencv_backend_visualizer import \
        OpencvBackendVisualizer

    original = OpencvBackendVisualizer.draw_circles
    if getattr(original, '_runningpose_fixed', False):
        return False

    @functools.wraps(original)
    def draw_circles(self, center, radius, *args, **kwargs):
        # MMPose passes np.array([r]); opencv's branch then does int(radius). A 0-d
        # array converts on every numpy and still satisfies the ndarray type checks.
        if self.backend == 'opencv' and isinstance(radius, np.ndarray) \
                and radius.size == 1:
            radius = radius.reshape(())
        return original(self, center, radius, *args, **kwargs)

    draw_circles._runningpose_fixed = True
    OpencvBackendVisualizer.draw_circles = draw_circles
    return True


def fix_matplotlib_tostring_rgb() -> bool:
    """Give ``FigureCanvasAgg`` back ``tostring_rgb`` (removed in matplotlib 3.10)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if hasattr(FigureCanvasAgg, 'tostring_rgb'):
        return False

    def tostring_rgb(self):
        """RGB bytes of the rendered canvas, as matplotlib < 3.10 returned them."""
        return np.asarray(self.buffer_rgba())[..., :3].tobytes()

    FigureCanvasAgg.tostring_rgb = tostring_rgb
    return True


_KNOWN_HARMLESS_LOGS = ('"FileClient" will be deprecated', '"HardDiskBackend" is the alias')


def quiet_known_library_noise() -> bool:
    """Drop library messages that are known and harmless, so users see ours.

    mmengine 0.10.7's own hooks build the deprecated ``FileClient``/``HardDiskBackend``
    and log a deprecation for each, several times per run; MMPose's 3D visualizer asks
    mmengine for its instance with arguments, which warns every time a runner starts.
    Neither is anything a user can or should act on.
    """
    from mmengine.fileio import file_client
    original = file_client.print_log
    if getattr(original, '_runningpose', False):
        return False

    def print_log(msg, *args, **kwargs):
        if isinstance(msg, str) and msg.startswith(_KNOWN_HARMLESS_LOGS):
            return None
        return original(msg, *args, **kwargs)

    print_log._runningpose = True
    file_client.print_log = print_log
    warnings.filterwarnings('ignore', category=UserWarning,
                            message=r'.*has been created, the method `get_instance` should '
                            'not accept any other arguments')
    return True


def apply_all() -> dict:
    """Apply every fix once. Returns which fixes changed something (for logs and tests)."""
    global _applied
    results = dict(
        mmengine_checkpoint_loading=fix_mmengine_checkpoint_loading(),
        opencv_circle_radius=fix_opencv_circle_radius(),
        matplotlib_tostring_rgb=fix_matplotlib_tostring_rgb(),
        quiet_known_library_noise=quiet_known_library_noise(),
    )
    _applied = True
    return results
