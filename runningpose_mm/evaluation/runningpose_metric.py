from collections import OrderedDict
from typing import Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger

from mmpose.registry import METRICS

from ..skeleton import runningpose19
from . import functional as F


def format_error_table(metrics: Dict[str, float]) -> str:
    """A plain-text table of the summary and per-joint errors (millimetres)."""
    lines = ['metric          mm']
    notes = {'MPJPE': 'all visible joints, the root\'s zero included (Human3.6M protocol)',
             'MPJPE/common': 'non-root joints every evaluated sequence has (compare '
                             'across marker sets with this one)'}
    summary = ('MPJPE', 'MPJPE/common', 'P-MPJPE', 'N-MPJPE', 'MPJVE', 'MRPE', 'MPJPE/feet',
               'MPJPE/body')
    for key in summary:
        if key in metrics:
            lines.append(f'{key:<14}{metrics[key]:8.1f}' +
                         (f'   {notes[key]}' if key in notes else ''))
    joint_keys = [k for k in metrics if k.startswith('MPJPE/') and k not in summary]
    if joint_keys:
        lines.append('per joint:')
        lines += [f'  {k[6:]:<16}{metrics[k]:8.1f}' for k in joint_keys]
    return '\n'.join(lines)


@METRICS.register_module()
class RunningPoseMetric(BaseMetric):
    """Human3.6M-style 3D errors for runningpose19, in millimetres.

    - ``MPJPE``: mean joint error after subtracting the root (pelvis) joint, over every
      visible joint including the root (whose error is zero by construction), as the
      Human3.6M protocol and VideoPose3D count it: comparable with published numbers.
    - ``MPJPE/common``: the same over the non-root joints that every evaluated sequence
      has (visible somewhere in each): comparable across marker sets, which lack
      different joints (the root weighs 1/19 of ``MPJPE`` on a full set, 1/15 on one
      without knees and head).
    - ``P-MPJPE``: after a per-frame similarity (Procrustes) alignment.
    - ``N-MPJPE``: after a per-frame least-squares scale.
    - ``MPJVE``: error of the per-frame joint velocity (first difference), per frame
      step, over consecutive target frames of one sequence.
    - ``MRPE``: mean root position error in the camera frame (models with a
      root-trajectory branch only).
    - ``MPJPE/<joint>`` for every joint, ``MPJPE/feet`` (ankles and forefeet) and
      ``MPJPE/body`` (the rest).

    Only joints visible in the ground truth are scored. Predictions and targets are in
    metres (the dataset's unit) and reported in millimetres.

    Args:
        root_index (int): root joint. Default: 0.
        collect_device, prefix: see ``mmengine.evaluator.BaseMetric``.
    """

    default_prefix = ''  # metric names as they are: 'MPJPE', 'P-MPJPE', ...

    def __init__(self,
                 root_index: int = 0,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.root_index = root_index

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            pred = np.asarray(sample['pred_instances']['keypoints']).reshape(-1, 3)
            gt = sample['gt_instances']
            target = np.asarray(gt['lifting_target']).reshape(-1, 3)
            mask = np.asarray(gt['lifting_target_visible']).reshape(-1) > 0
            result = dict(pred=pred, gt=target, mask=mask,
                          sequence=sample.get('sequence_name', ''),
                          frame=int(sample.get('target_frame', len(self.results))))
            if 'root_position' in sample['pred_instances'] and 'target_root' in sample:
                result['root_error_m'] = float(np.linalg.norm(
                    np.asarray(sample['pred_instances']['root_position']).reshape(3) -
                    np.asarray(sample['target_root']).reshape(-1, 3)[-1]))
            self.results.append(result)

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        results = sorted(results, key=lambda r: (r['sequence'], r['frame']))
        pred = np.stack([r['pred'] for r in results]).astype(np.float64)
        gt = np.stack([r['gt'] for r in results]).astype(np.float64)
        mask = np.stack([r['mask'] for r in results])
        names = [r['sequence'] for r in results]
        frames = np.array([r['frame'] for r in results])
        r = self.root_index
        pred = (pred - pred[:, r:r + 1]) * 1000.0
        gt = (gt - gt[:, r:r + 1]) * 1000.0
        skeleton = runningpose19()
        metrics = OrderedDict()
        metrics['MPJPE'] = F.mpjpe(pred, gt, mask)
        seq_ids = np.unique(names, return_inverse=True)[1]
        has = np.stack([mask[seq_ids == i].any(axis=0) for i in range(seq_ids.max() + 1)])
        common = np.flatnonzero(has.all(axis=0))
        common = common[common != r]
        if len(common):
            metrics['MPJPE/common'] = F.mpjpe(pred[:, common], gt[:, common],
                                              mask[:, common])
        metrics['P-MPJPE'] = F.mpjpe(F.align_procrustes(pred, gt, mask), gt, mask)
        metrics['N-MPJPE'] = F.mpjpe(F.align_scale(pred, gt, mask), gt, mask)
        metrics['MPJVE'] = F.mpjve(pred, gt, mask, _run_ids(names, frames))
        root_errors = [r['root_error_m'] for r in results if 'root_error_m' in r]
        if root_errors:  # models with a root-trajectory branch
            metrics['MRPE'] = 1000.0 * float(np.mean(root_errors))
        per_joint = F.per_joint_mpjpe(pred, gt, mask)
        feet = [skeleton.index(n) for n in
                ('left_ankle', 'right_ankle', 'left_forefoot', 'right_forefoot')]
        body = [i for i in range(len(per_joint)) if i not in feet and i != r]
        metrics['MPJPE/feet'] = F.mpjpe(pred[:, feet], gt[:, feet], mask[:, feet])
        metrics['MPJPE/body'] = F.mpjpe(pred[:, body], gt[:, body], mask[:, body])
        for name, err in zip(skeleton.names, per_joint):
            if name != skeleton.names[r]:
                metrics[f'MPJPE/{name}'] = float(err)
        MMLogger.get_current_instance().info('\n' + format_error_table(metrics))
        return metrics


def _run_ids(sequence_names: List[str], frames: np.ndarray) -> np.ndarray:
    """(N,) id of each run of consecutive frames of one sequence (rows sorted)."""
    new_run = np.ones(len(frames), dtype=bool)
    if len(frames) > 1:
        same_seq = np.array([a == b for a, b in zip(sequence_names[1:], sequence_names[:-1])])
        new_run[1:] = ~(same_seq & (np.diff(frames) == 1))
    return np.cumsum(new_run)
