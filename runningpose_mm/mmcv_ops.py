"""mmcv's compiled ops where mmcv-lite is installed: the few our pipeline calls, on
torchvision; every other one present but raising a clear error when called.

The default environment installs ``mmcv-lite`` (mmcv's pure-Python wheel: the same
``mmcv`` package without the compiled ``mmcv._ext``) instead of building mmcv's C++ ops
from source (7-25 minutes on 2 cores). Its ``mmcv/ops/*.py`` wrappers are all there; they
only fetch their kernels from ``mmcv._ext`` when ``mmcv.ops`` is imported, which MMDet and
MMPose do when their registries load. :func:`install` registers this module's
:class:`OpsFallback` as ``mmcv._ext`` when the compiled one is absent, so that:

- ``nms`` (all RTMDet needs, through mmcv's own ``nms`` / ``batched_nms`` wrappers, which
  keep their signatures, the class-offset trick and the ``(dets, keep)`` return) runs on
  ``torchvision.ops.nms``;
- any other kernel (``DeformConv``, ``MultiScaleDeformableAttention``, ``RoIPool``,
  ``CARAFEPack``, ``point_sample``'s kernels, ...) imports but raises
  :class:`CompiledOpMissing`, naming the op and how to get the compiled mmcv, if a model
  calls it.

Where mmcv with its ops is installed (``bash tools/env/bootstrap.sh --full-mmcv``) it is
used untouched: :func:`install` does nothing.
"""
import importlib.machinery
import importlib.util
import sys
import types

FULL_MMCV_HINT = ('install mmcv with its compiled ops: `bash tools/env/bootstrap.sh '
                  '--full-mmcv` (7-25 minutes on 2 cores), or `pip install mmcv==2.1.0` '
                  'where a wheel exists for your torch')

#: kernels of mmcv._ext implemented here (the rest raise CompiledOpMissing)
IMPLEMENTED = ('nms',)


class CompiledOpMissing(RuntimeError):
    """A model called an mmcv op whose compiled kernel this environment does not have."""


class OpsFallback(types.ModuleType):
    """Stands in for ``mmcv._ext``: ``nms`` on torchvision, every other kernel a function
    that raises :class:`CompiledOpMissing` when called."""

    def __init__(self):
        super().__init__('mmcv._ext', 'mmcv-lite stand-in for the compiled mmcv ops '
                         '(runningpose_mm.mmcv_ops)')
        # importlib.util.find_spec('mmcv._ext') (mmengine's mmcv_full_available) reads it
        self.__spec__ = importlib.machinery.ModuleSpec('mmcv._ext', None)

    @staticmethod
    def nms(boxes, scores, iou_threshold: float, offset: int = 0):
        """mmcv's ``nms`` kernel: indices of the boxes kept, by decreasing score.

        ``offset`` 1 is mmcv's legacy box convention (width = x2 - x1 + 1): the boxes'
        far corners are moved out by one, which gives the same overlaps.
        """
        import torch
        from torchvision.ops import nms
        if boxes.numel() == 0:
            return torch.zeros(0, dtype=torch.long, device=boxes.device)
        boxes = boxes.float()
        if offset:
            boxes = torch.cat([boxes[:, :2], boxes[:, 2:4] + offset], dim=1)
        # mmcv's kernel visits boxes in the order of its own (unstable) score sort, and
        # torchvision in a stable one: equal scores would come out in another order. So
        # the boxes are put in mmcv's order and handed over with strictly falling ranks.
        order = scores.sort(0, descending=True)[1]
        ranks = torch.arange(len(order), 0, -1, dtype=torch.float32, device=boxes.device)
        return order[nms(boxes[order], ranks, float(iou_threshold))]

    @staticmethod
    def get_compiler_version():
        return 'none (mmcv-lite: ops from runningpose_mm.mmcv_ops)'

    @staticmethod
    def get_compiling_cuda_version():
        return 'none (mmcv-lite)'

    def __getattr__(self, name: str):
        if name.startswith('__'):
            raise AttributeError(name)

        def missing(*args, **kwargs):
            raise CompiledOpMissing(
                f"mmcv op '{name}' has no compiled kernel in this environment (mmcv-lite; "
                f"runningpose_mm provides only {', '.join(IMPLEMENTED)}): {FULL_MMCV_HINT}")
        missing.__name__ = name
        return missing


def compiled_ops_available() -> bool:
    """Whether mmcv's own compiled ops (``mmcv._ext``) are installed."""
    module = sys.modules.get('mmcv._ext')
    if module is not None:
        return not isinstance(module, OpsFallback)
    try:
        return importlib.util.find_spec('mmcv._ext') is not None
    except ModuleNotFoundError:  # no mmcv at all
        return False


def install() -> bool:
    """Register :class:`OpsFallback` as ``mmcv._ext`` unless the compiled ops exist.

    Must run before anything imports ``mmcv.ops`` (``import runningpose_mm`` does it
    first). Returns True when the stand-in is in use.
    """
    if isinstance(sys.modules.get('mmcv._ext'), OpsFallback):
        return True
    if importlib.util.find_spec('mmcv') is None or compiled_ops_available():
        return False
    sys.modules['mmcv._ext'] = OpsFallback()
    return True
