import torch
from mmengine.runner import TestLoop, ValLoop

from mmpose.registry import LOOPS

from ..apis.lifting import WholeSequenceLifter, normalize_keypoints_2d


def evaluate_whole_sequences(runner, dataloader, evaluator) -> dict:
    """Lift every sequence of a RunningPose dataset in one dilated pass and score it.

    The strided weights the Runner trains run as the dilated network over each whole
    sequence (edge-padded), so every frame is scored with its true past and future
    context, exactly as at inference, at a fraction of the cost of one window per frame.
    """
    dataset = dataloader.dataset
    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    lifter = WholeSequenceLifter(runner.cfg.model, model.state_dict(),
                                 device=next(model.parameters()).device.type)
    with_traj = lifter.has_trajectory
    ann = dataset.ann_data
    targets = set(dataset.target_rows().tolist())
    for seq_id, seq in enumerate(dataset.sequences):
        start, stop = int(dataset._seq_start[seq_id]), int(dataset._seq_end[seq_id])
        rows = [r for r in range(start, stop) if r in targets]
        if not rows:
            continue
        cam = seq['camera']
        inputs = normalize_keypoints_2d(ann['keypoints_2d'][start:stop], (cam['w'], cam['h']))
        out = lifter.lift_normalized(inputs, with_trajectory=with_traj)
        poses, roots = out if with_traj else (out, None)
        samples = []
        for r in rows:
            gt = ann['keypoints_3d'][r]
            pred = poses[r - start] + gt[0]  # as the codec decodes: GT root added back
            pred_instances = dict(keypoints=pred[None])
            if with_traj:
                pred_instances['root_position'] = roots[r - start][None]
            samples.append(dict(
                pred_instances=pred_instances,
                gt_instances=dict(lifting_target=gt[None],
                                  lifting_target_visible=ann['keypoints_3d_visible'][r][None]),
                sequence_name=seq['name'], target_frame=int(ann['frame_index'][r]),
                target_root=gt[0][None]))
        evaluator.process(data_samples=samples, data_batch=None)
    return evaluator.evaluate(len(targets))


def _run_with_hooks(loop, stage: str) -> dict:
    """Run ``evaluate_whole_sequences`` between the Runner's ``stage`` hooks."""
    loop.runner.call_hook(f'before_{stage}')
    loop.runner.call_hook(f'before_{stage}_epoch')
    with torch.no_grad():
        metrics = evaluate_whole_sequences(loop.runner, loop.dataloader, loop.evaluator)
    loop.runner.call_hook(f'after_{stage}_epoch', metrics=metrics)
    loop.runner.call_hook(f'after_{stage}')
    return metrics


@LOOPS.register_module()
class WholeSequenceValLoop(ValLoop):
    """Validation by whole-sequence dilated lifting (see ``evaluate_whole_sequences``)."""

    def run(self) -> dict:
        return _run_with_hooks(self, 'val')


@LOOPS.register_module()
class WholeSequenceTestLoop(TestLoop):
    """Testing by whole-sequence dilated lifting (see ``evaluate_whole_sequences``)."""

    def run(self) -> dict:
        return _run_with_hooks(self, 'test')
