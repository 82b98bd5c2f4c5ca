import torch
from mmengine.dist import get_dist_info
from mmengine.runner import TestLoop, ValLoop

from mmpose.registry import LOOPS

from ..apis.lifting import WholeSequenceLifter, normalize_keypoints_2d


def evaluate_whole_sequences(runner, dataloader, evaluator) -> dict:
    """Lift every sequence of a RunningPose dataset in one dilated pass and score it.

    The strided weights the Runner trains run as the dilated network over each whole
    sequence (edge-padded), so every frame is scored with its true past and future
    context, exactly as at inference, at a fraction of the cost of one window per frame.

    Distributed: each process lifts its share of the sequences (round robin) and the
    evaluator gathers the frames of all processes, so the metric is the same as with one
    process (the metric sorts frames by sequence and frame before averaging).
    """
    model = runner.model.module if hasattr(runner.model, 'module') else runner.model
    lifter = WholeSequenceLifter(runner.cfg.model, model.state_dict(),
                                 device=next(model.parameters()).device.type)
    return score_lifter(lifter, dataloader.dataset, evaluator)


def score_on_test_set(runner, lifter: WholeSequenceLifter) -> dict:
    """The metrics of ``lifter`` (e.g. an ensemble, or a released file's) on the test set
    of a Runner's config, without loading weights into the Runner's model."""
    loop = runner.test_loop  # builds the test set and its evaluator
    return score_lifter(lifter, loop.dataloader.dataset, loop.evaluator)


def score_lifter(lifter: WholeSequenceLifter, dataset, evaluator) -> dict:
    """``evaluate_whole_sequences`` for a given lifter (e.g. an ensemble) on a RunningPose
    dataset, with an evaluator whose ``dataset_meta`` is set."""
    with_traj = lifter.has_trajectory
    rank, world_size = get_dist_info()
    sequences = dataset.whole_sequences()
    for seq in sequences[rank::world_size]:
        cam = seq['camera']
        inputs = normalize_keypoints_2d(seq['keypoints_2d'], (cam['w'], cam['h']))
        out = lifter.lift_normalized(inputs, with_trajectory=with_traj,
                                     scores=seq['keypoints_2d_visible'])
        poses, roots = out if with_traj else (out, None)
        samples = []
        for k, frame in enumerate(seq['targets']):
            gt = seq['keypoints_3d'][k]
            pred = poses[frame] + gt[0]  # as the codec decodes: GT root added back
            pred_instances = dict(keypoints=pred[None])
            if with_traj:
                pred_instances['root_position'] = roots[frame][None]
            samples.append(dict(
                pred_instances=pred_instances,
                gt_instances=dict(lifting_target=gt[None],
                                  lifting_target_visible=seq['keypoints_3d_visible'][k][None]),
                sequence_name=seq['name'], target_frame=int(seq['frame_index'][k]),
                target_root=gt[0][None]))
        evaluator.process(data_samples=samples, data_batch=None)
    return evaluator.evaluate(sum(len(seq['targets']) for seq in sequences))


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
