"""mmcv-lite's stand-in for the compiled ops (runningpose_mm.mmcv_ops): nms on torchvision
gives what mmcv's compiled kernel gives; every other op says clearly what is missing."""
import sys

import numpy as np
import pytest
import torch

import runningpose_mm  # noqa: F401  (installs the stand-in where mmcv-lite is)
from runningpose_mm import mmcv_ops
from runningpose_mm.mmcv_ops import CompiledOpMissing, OpsFallback

import mmcv.ops  # noqa: E402

# the module (``mmcv.ops.nms`` as an attribute is the function it exports)
mmcv_nms = sys.modules['mmcv.ops.nms']

COMPILED = mmcv_ops.compiled_ops_available()
needs_compiled = pytest.mark.skipif(
    not COMPILED, reason='mmcv with compiled ops is not installed here (mmcv-lite): the '
    'comparison runs in the --full-mmcv environment')


@pytest.fixture
def fallback_nms(monkeypatch):
    """mmcv's own nms / batched_nms wrappers, with the stand-in's kernel under them."""
    monkeypatch.setattr(mmcv_nms, 'ext_module', OpsFallback())


def _boxes():
    """Hand-checked: class 0 has A and B overlapping (IoU 81/119 = 0.68), C apart, and two
    identical boxes E, F with the same score; class 1 has D on B's place."""
    boxes = torch.tensor([[0, 0, 10, 10],      # A 0.90 class 0
                          [1, 1, 11, 11],      # B 0.80 class 0, suppressed by A
                          [20, 20, 30, 30],    # C 0.85 class 0
                          [1, 1, 11, 11],      # D 0.95 class 1: other class, kept
                          [40, 40, 50, 50],    # E 0.60 class 0
                          [40, 40, 50, 50]],   # F 0.60 class 0: E's twin, one of them kept
                         dtype=torch.float32)
    scores = torch.tensor([0.90, 0.80, 0.85, 0.95, 0.60, 0.60])
    classes = torch.tensor([0, 0, 0, 1, 0, 0])
    return boxes, scores, classes


def test_batched_nms_on_hand_checked_boxes(fallback_nms):
    boxes, scores, classes = _boxes()
    dets, keep = mmcv.ops.batched_nms(boxes, scores, classes,
                                      dict(type='nms', iou_threshold=0.5))
    assert keep[:3].tolist() == [3, 0, 2]                   # D, A, C by score
    assert len(keep) == 4 and keep[3].item() in (4, 5)      # one of the twins
    assert dets.shape == (4, 5)
    np.testing.assert_allclose(dets[:, 4].numpy(), [0.95, 0.90, 0.85, 0.60])
    np.testing.assert_allclose(dets[1, :4].numpy(), [0, 0, 10, 10])
    # at IoU 0.7 B survives A (0.68)
    _, keep = mmcv.ops.batched_nms(boxes, scores, classes, dict(type='nms', iou_threshold=0.7))
    assert 1 in keep.tolist()
    # plain nms: every class together, B is suppressed by D and A
    dets, keep = mmcv.ops.nms(boxes, scores, 0.5)
    assert sorted(keep.tolist())[:2] == [2, 3] and 1 not in keep.tolist()


def test_legacy_offset_convention(fallback_nms):
    """offset=1 (width = x2 - x1 + 1): two 2 x 3 boxes sharing one column overlap by a
    third of their union (3 of 6 + 6 - 3 = 9), and not at all with offset 0."""
    boxes = torch.tensor([[0, 0, 1, 2], [1, 0, 2, 2]], dtype=torch.float32)
    scores = torch.tensor([0.9, 0.8])
    kept0 = mmcv.ops.nms(boxes, scores, 0.1, offset=0)[1]
    kept1 = mmcv.ops.nms(boxes, scores, 0.1, offset=1)[1]
    assert kept0.tolist() == [0, 1]  # no overlap without the offset
    assert kept1.tolist() == [0]     # IoU 0.33 > 0.1 with it


def test_empty_input(fallback_nms):
    dets, keep = mmcv.ops.nms(torch.zeros((0, 4)), torch.zeros(0), 0.5)
    assert dets.shape[0] == 0 and keep.numel() == 0


@needs_compiled
@pytest.mark.parametrize('seed', [0, 1, 2])
def test_same_as_compiled_mmcv_on_random_boxes(seed, monkeypatch):
    """Random boxes in three classes, scores rounded to two decimals (many ties): the
    stand-in keeps the same boxes in the same order as mmcv's compiled kernel."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 200, (600, 2))
    wh = rng.uniform(5, 60, (600, 2))
    boxes = torch.tensor(np.hstack([xy, xy + wh]), dtype=torch.float32)
    scores = torch.tensor(np.round(rng.uniform(0, 1, 600), 2), dtype=torch.float32)
    classes = torch.tensor(rng.integers(0, 3, 600))
    results = {}
    for name, ext in (('compiled', mmcv_nms.ext_module), ('stand-in', OpsFallback())):
        monkeypatch.setattr(mmcv_nms, 'ext_module', ext)
        results[name] = [mmcv.ops.batched_nms(boxes, scores, classes,
                                              dict(type='nms', iou_threshold=thr))
                         for thr in (0.3, 0.5, 0.7)] + \
            [mmcv.ops.nms(boxes, scores, 0.5, offset=1)]
    for (dets_a, keep_a), (dets_b, keep_b) in zip(results['compiled'], results['stand-in']):
        assert len(keep_a) > 50
        assert torch.equal(keep_a, keep_b)
        assert torch.equal(dets_a, dets_b)


def test_other_ops_say_what_is_missing():
    stand_in = OpsFallback()
    with pytest.raises(CompiledOpMissing, match=r"'deform_conv_forward'.*--full-mmcv"):
        stand_in.deform_conv_forward(torch.zeros(1))
    assert hasattr(stand_in, 'ms_deform_attn_forward')  # mmcv's loader asks hasattr
    assert 'mmcv-lite' in stand_in.get_compiler_version()
    if not COMPILED:  # the same through a real mmcv op, as a model would call it
        conv = mmcv.ops.DeformConv2d(3, 3, 3)
        with pytest.raises(CompiledOpMissing, match='deform_conv_forward'):
            conv(torch.zeros(1, 3, 8, 8), torch.zeros(1, 18, 6, 6))


def test_compiled_mmcv_is_used_untouched():
    ext = sys.modules['mmcv._ext']
    assert isinstance(ext, OpsFallback) == (not COMPILED)
    assert mmcv_ops.install() == (not COMPILED)  # idempotent either way
    assert sys.modules['mmcv._ext'] is ext


@needs_compiled
def test_rtmdet_and_rtmpose_keypoints_identical(monkeypatch, tmp_path):
    """The whole 2D stage (RTMDet-m person detector, RTMPose-m Halpe-26; random weights,
    so the detector's NMS sees hundreds of boxes) on a generated clip, both MMPose's
    per-frame path and the fast one: the same people and keypoints with mmcv's compiled
    nms and with the stand-in."""
    import cv2
    from runningpose_mm.apis.inferencer import RunningPoseInferencer
    from test_inferencer import LIFTER, make_video
    torch.manual_seed(0)
    inferencer = RunningPoseInferencer(LIFTER, 'random', pose2d='halpe26',
                                       pose2d_weights='random', det_weights='random')
    capture = cv2.VideoCapture(make_video(tmp_path / 'clip.mp4', frames=6))
    frames = [capture.read()[1] for _ in range(6)]
    source, rate, size = inferencer.open_video(frames, 25.0)
    inferencer.runner_2d.det_interval = 3  # two keyframes, frames between from keypoints
    people = {}
    for name, ext in (('compiled', mmcv_nms.ext_module), ('stand-in', OpsFallback())):
        monkeypatch.setattr(mmcv_nms, 'ext_module', ext)
        people[name] = (inferencer.detect_2d(frames[:3], show_progress=False) +
                        inferencer.runner_2d(source, size, rate, show_progress=False))
    assert sum(len(p) for p in people['compiled'][:3]) > 0  # per-frame path
    assert sum(len(p) for p in people['compiled'][3:]) > 0  # fast path
    for a, b in zip(people['compiled'], people['stand-in']):
        assert len(a) == len(b)
        for pa, pb in zip(a, b):
            np.testing.assert_array_equal(pa['bbox'], pb['bbox'])
            np.testing.assert_array_equal(pa['keypoints'], pb['keypoints'])


def test_full_mmcv_without_a_compiler_says_what_is_missing(tmp_path):
    """--full-mmcv on a machine without a C++ compiler stops before installing anything
    and names what is missing; an unknown option is refused."""
    import os
    import subprocess
    from conftest import REPO
    script = os.path.join(REPO, 'tools', 'env', 'bootstrap.sh')
    env = dict(os.environ, CXX='no-such-g++', RUNNINGPOSE_HOME=str(tmp_path / 'home'))
    out = subprocess.run(['bash', script, '--full-mmcv'], env=env, capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1
    assert 'a C++ compiler (no-such-g++)' in out.stderr and 'drop --full-mmcv' in out.stderr
    assert not list((tmp_path / 'home').glob('venv-*'))  # nothing was installed
    out = subprocess.run(['bash', script, '--bogus'], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 2 and 'unknown option: --bogus' in out.stderr
