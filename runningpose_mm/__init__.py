"""runningpose_mm: 3D running pose and running-gait analysis as an MMPose 1.x plugin.

Importing the package applies the upstream compatibility fixes (``compat``) and registers
every plugin class into MMPose's registries (datasets, transforms, models, metrics,
visualizers). Configs load it with ``custom_imports = dict(imports=['runningpose_mm'])``.
"""
from .version import __version__
from . import compat

compat.apply_all()

from . import datasets, evaluation, models  # noqa: E402,F401  (registration)

__all__ = ['__version__', 'compat', 'datasets', 'evaluation', 'models']
