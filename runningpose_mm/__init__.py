"""runningpose_mm: 3D running pose and running-gait analysis as an MMPose 1.x plugin.

Importing the package applies the upstream compatibility fixes (``compat``) and registers
every plugin class into MMPose's registries (datasets, transforms, models, metrics,
visualizers). Configs load it with ``custom_imports = dict(imports=['runningpose_mm'])``.
"""
import warnings

# mmengine (and mmcv's ops loader) import pkg_resources, which setuptools 81 marks as
# deprecated on every import; pinned setuptools<82 keeps it working (see README)
warnings.filterwarnings('ignore', message='pkg_resources is deprecated', category=UserWarning)

from .version import __version__  # noqa: E402
from . import mmcv_ops  # noqa: E402

mmcv_ops.install()  # before anything imports mmcv.ops: mmcv-lite gets its few ops

from . import compat  # noqa: E402

compat.apply_all()

from . import apis, datasets, evaluation, models  # noqa: E402,F401  (registration)
from .apis import keypoint_conversion  # noqa: E402

keypoint_conversion.register()  # MMPose's 2D->3D converter learns runningpose19

__all__ = ['__version__', 'compat', 'apis', 'datasets', 'evaluation', 'models']
