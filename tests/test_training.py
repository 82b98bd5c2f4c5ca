"""Training and evaluation through MMEngine's Runner on a tiny model and dataset."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch

import runningpose_mm  # noqa: F401
from runningpose_mm.apis.runner import build_runner
from runningpose_mm.mocap.dataset_builder import BuildConfig, build_dataset, synthetic_trials
from runningpose_mm.models import KeypointCountMismatchError

from conftest import REPO

CONFIG = osp.join(REPO, 'configs', 'runningpose_tcn_27frm.py')


def tiny_options(data_root, epochs=2):
    loader = 'dataloader.num_workers=0 dataloader.persistent_workers=False ' \
             'dataloader.batch_size=64'
    options = [f'{split}_{opt}' for split in ('train', 'val', 'test')
               for opt in loader.split()]
    return options + [
        f'train_dataloader.dataset.data_root={data_root}',
        f'val_dataloader.dataset.data_root={data_root}',
        f'test_dataloader.dataset.data_root={data_root}',
        'model.backbone.stem_channels=64', 'model.head.in_channels=64',
        f'train_cfg.max_epochs={epochs}', 'train_cfg.val_interval=1',
        'default_hooks.logger.interval=5', 'randomness.seed=0',
    ]


@pytest.fixture(scope='module')
def tiny_data(tmp_path_factory):
    root = tmp_path_factory.mktemp('data')
    trials = synthetic_trials(3, 'train', 0, 2.0) + synthetic_trials(1, 'val', 1, 2.0) + \
        synthetic_trials(1, 'test', 2, 2.0)
    build_dataset(trials, str(root), BuildConfig(cameras_per_trial=2, min_frames_in_view=40),
                  progress=False)
    return str(root)


@pytest.fixture(scope='module')
def trained(tiny_data, tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('work'))
    runner = build_runner(CONFIG, work_dir=work_dir, cfg_options=tiny_options(tiny_data, 3))
    runner.train()
    ckpts = sorted(glob.glob(osp.join(work_dir, 'epoch_*.pth')))
    return work_dir, ckpts, runner


def test_training_loss_falls_and_checkpoints_are_written(trained):
    work_dir, ckpts, runner = trained
    assert [osp.basename(c) for c in ckpts][-1] == 'epoch_3.pth'
    scalars = runner.message_hub.log_scalars
    losses = scalars['train/loss'].data[0]
    assert np.mean(losses[-3:]) < np.mean(losses[:3])
    assert glob.glob(osp.join(work_dir, 'best_MPJPE_epoch_*.pth'))
    # the best checkpoint is the one this training recorded, not a glob of the work dir
    # (names sort epoch_10 before epoch_9, and earlier runs leave their files behind)
    from runningpose_mm.apis.runner import best_checkpoint
    stale = osp.join(work_dir, 'best_MPJPE_epoch_9.pth')
    open(stale, 'w').close()
    best = best_checkpoint(runner)
    assert best != stale and osp.dirname(best) == work_dir
    val = scalars['val/MPJPE'].data[0]
    assert osp.basename(best) == f'best_MPJPE_epoch_{int(np.argmin(val)) + 1}.pth'
    os.remove(stale)


def test_checkpoint_loads_in_python_and_in_tools_test(trained, tiny_data, tmp_path):
    work_dir, ckpts, _ = trained
    runner = build_runner(CONFIG, work_dir=str(tmp_path / 'eval'),
                          cfg_options=tiny_options(tiny_data), load_from=ckpts[-1])
    metrics = runner.test()
    for key in ('MPJPE', 'P-MPJPE', 'N-MPJPE', 'MPJVE', 'MPJPE/left_forefoot', 'MPJPE/feet'):
        assert np.isfinite(metrics[key]) and metrics[key] > 0
    assert metrics['P-MPJPE'] < metrics['MPJPE']
    out = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'test.py'), CONFIG, ckpts[-1],
         '--work-dir', str(tmp_path / 'cli'), '--out', str(tmp_path / 'm.json'),
         '--cfg-options'] + tiny_options(tiny_data),
        capture_output=True, text=True, cwd=str(tmp_path), timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert 'P-MPJPE' in out.stdout and 'left_forefoot' in out.stdout
    import json
    cli_metrics = json.load(open(tmp_path / 'm.json'))
    np.testing.assert_allclose(cli_metrics['MPJPE'], metrics['MPJPE'], rtol=1e-5)


def test_a_17_keypoint_checkpoint_is_refused_with_a_pointer_to_the_converter(trained,
                                                                            tiny_data,
                                                                            tmp_path):
    work_dir, ckpts, runner = trained
    state = torch.load(ckpts[-1], map_location='cpu', weights_only=False)
    sd = state['state_dict']
    sd['backbone.expand_conv.conv.weight'] = sd['backbone.expand_conv.conv.weight'][:, :34]
    sd['head.conv.weight'] = sd['head.conv.weight'][:51]
    sd['head.conv.bias'] = sd['head.conv.bias'][:51]
    path = str(tmp_path / 'h36m_like.pth')
    torch.save(state, path)
    model = build_runner(CONFIG, work_dir=str(tmp_path / 'x'),
                         cfg_options=tiny_options(tiny_data)).model
    from mmengine.runner import load_checkpoint
    with pytest.raises(KeypointCountMismatchError,
                       match=r'for 17 keypoints, the model for 19.*convert_checkpoint.py'):
        load_checkpoint(model, path, map_location='cpu')


@pytest.mark.parametrize('causal', [False, True])
def test_whole_sequence_evaluation_equals_window_by_window(trained, tiny_data, tmp_path,
                                                           causal):
    """The dilated one-pass evaluation scores exactly what MMPose's per-window loop does
    with the same (strided-trained) weights, on every frame; causal models too."""
    work_dir, ckpts, _ = trained
    extra = ['model.backbone.causal=True', 'test_dataloader.dataset.causal=True'] \
        if causal else []
    results = {}
    for loop in ('WholeSequenceTestLoop', 'TestLoop'):
        runner = build_runner(CONFIG, work_dir=str(tmp_path / loop),
                              cfg_options=tiny_options(tiny_data) + extra +
                              [f'test_cfg.type={loop}'], load_from=ckpts[-1])
        results[loop] = runner.test()
    for key in ('MPJPE', 'P-MPJPE', 'MPJVE', 'MPJPE/right_forefoot'):
        np.testing.assert_allclose(results['WholeSequenceTestLoop'][key],
                                   results['TestLoop'][key], rtol=1e-4)


def test_root_trajectory_branch_trains_and_reports_mrpe(tiny_data, tmp_path):
    config = osp.join(REPO, 'configs', 'runningpose_tcn_traj.py')
    options = tiny_options(tiny_data, 2) + ['model.traj_backbone.stem_channels=32',
                                            'model.traj_head.in_channels=32']
    runner = build_runner(config, work_dir=str(tmp_path / 'traj'), cfg_options=options)
    runner.train()
    metrics = runner.test()
    assert 0 < metrics['MRPE'] < 20000  # millimetres, camera frame
    assert runner.message_hub.log_scalars['train/loss_traj'].data[0].size > 0


def _torchrun(script, args, tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(29500 + os.getpid() % 1000),
               OMP_NUM_THREADS='1')
    out = subprocess.run(['bash', osp.join(REPO, 'tools', script)] + args,
                         capture_output=True, text=True, env=env, timeout=600,
                         cwd=str(tmp_path))
    log = out.stdout + out.stderr
    assert out.returncode == 0, log[-4000:]
    return log


def test_two_process_training_and_testing_on_cpu_with_gloo(tiny_data, tmp_path):
    """Two processes train, validate and test; validation and test give the metric one
    process gives (each process lifts its share of the sequences: before, every process
    lifted all of them and the gathered results held the first half of the frames twice)."""
    work_dir = tmp_path / 'dist'
    log = _torchrun('dist_train.sh', [CONFIG, '2', '--work-dir', str(work_dir),
                                      '--cfg-options'] + tiny_options(tiny_data, 1), tmp_path)
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # MMEngine's name for the world size
    ckpt = str(work_dir / 'epoch_1.pth')
    assert osp.isfile(ckpt)
    scalars = glob.glob(str(work_dir / '*' / 'vis_data' / 'scalars.json'))
    with open(scalars[0]) as f:
        logged = [json.loads(line) for line in f]
    val_two = [entry for entry in logged if 'MPJPE' in entry]
    assert len(val_two) == 1, 'the two-process training validated once'
    single = build_runner(CONFIG, work_dir=str(tmp_path / 'single'),
                          cfg_options=tiny_options(tiny_data, 1) +
                          ['default_hooks.checkpoint.save_best=None'], load_from=ckpt)
    val_one = single.val()
    test_one = single.test()
    _torchrun('dist_test.sh', [CONFIG, ckpt, '2', '--work-dir', str(tmp_path / 'dist_test'),
                               '--out', str(tmp_path / 'test.json'), '--cfg-options'] +
              tiny_options(tiny_data, 1), tmp_path)
    with open(tmp_path / 'test.json') as f:
        test_two = json.load(f)
    print(f"validation MPJPE: 1 process {val_one['MPJPE']:.6f}, 2 processes "
          f"{val_two[0]['MPJPE']:.6f}; test MPJPE: 1 process {test_one['MPJPE']:.6f}, 2 "
          f"processes {test_two['MPJPE']:.6f}")
    for key in ('MPJPE', 'P-MPJPE', 'MPJVE', 'MPJPE/feet'):
        assert val_two[0][key] == pytest.approx(val_one[key], rel=1e-5), key
        assert test_two[key] == pytest.approx(test_one[key], rel=1e-5), key
    assert test_one['MPJPE'] != pytest.approx(val_one['MPJPE'], rel=1e-3)  # other runners


def test_checkpoints_carry_the_frame_rate_and_keypoints(trained, tmp_path):
    """The rate and keypoint definition travel with the weights; a config or a caller
    asking for another rate is refused, and so are configs without weights."""
    from runningpose_mm.apis.lifting import LifterLoadError, load_lifter
    from runningpose_mm.models import LifterMetaError
    from runningpose_mm.skeleton import runningpose19
    _, ckpts, _ = trained
    meta = torch.load(ckpts[-1], map_location='cpu', weights_only=False)['meta']['runningpose']
    assert meta['fps'] == 50.0 and meta['keypoints'] == 'runningpose19'
    assert meta['keypoint_names'] == list(runningpose19().names)
    small = tmp_path / 'small.py'
    small.write_text(f"_base_ = ['{CONFIG}']\nmodel = dict(backbone=dict(stem_channels=64), "
                     "head=dict(in_channels=64))\n")
    lifter = load_lifter(str(small), ckpts[-1])
    assert lifter.fps == 50.0 and lifter.meta['keypoints'] == 'runningpose19'
    with pytest.raises(LifterMetaError, match='trained at 50 fps.*30 fps'):
        load_lifter(str(small), ckpts[-1], fps=30)
    other_rate = tmp_path / 'other_rate.py'
    other_rate.write_text(f"_base_ = ['{small}']\n"
                          "train_dataloader = dict(dataset=dict(fps=100.0))\n")
    with pytest.raises(LifterMetaError, match='trained at 50 fps.*the config asks for 100'):
        load_lifter(str(other_rate), ckpts[-1])
    with pytest.raises(LifterLoadError, match='without weights'):
        load_lifter(str(small), None)
    with pytest.raises(LifterLoadError, match='without their config'):
        load_lifter(None, ckpts[-1])
    corrupt = tmp_path / 'corrupt.pth'
    corrupt.write_bytes(open(ckpts[-1], 'rb').read()[:1000])
    with pytest.raises(LifterLoadError, match='corrupt.pth: not a readable lifter checkpoint'):
        load_lifter(str(small), str(corrupt))


def test_a_dataset_of_another_rate_is_refused(tiny_data):
    from runningpose_mm.datasets import RunningPoseDataset
    with pytest.raises(ValueError, match='built at 50 fps, but the config expects fps=30'):
        RunningPoseDataset(ann_file='train.npz', data_root=tiny_data, seq_len=27, fps=30.0)


def test_an_ensemble_is_exported_compactly_loaded_and_tested(trained, tiny_data, tmp_path):
    """Two checkpoints of a recipe as one released file (int8 kernels): it loads as a
    two-member lifter whose 3D is the members' mean (within the int8 rounding), is a
    quarter of their float32 size, and tools/test.py evaluates the whole ensemble."""
    from runningpose_mm.apis.lifting import MEMBERS_KEY, is_released_file, load_lifter
    from runningpose_mm.apis.released import export_released
    from runningpose_mm.models import LifterMetaError
    from runningpose_mm.apis.weights import pack_state_dict, unpack_state_dict
    # two members: the trained model and one more, from another seed
    second = build_runner(CONFIG, work_dir=str(tmp_path / 'second'), cfg_options=[
        o.replace('randomness.seed=0', 'randomness.seed=1') for o in tiny_options(tiny_data)])
    second.train()
    ckpts = [trained[1][-1], sorted(glob.glob(str(tmp_path / 'second' / 'epoch_*.pth')))[-1]]
    small = tmp_path / 'small.py'
    small.write_text(f"_base_ = ['{CONFIG}']\nmodel = dict(backbone=dict(stem_channels=64), "
                     "head=dict(in_channels=64))\n")
    out = str(tmp_path / 'released' / 'lifter.pth')
    figures = {'MPJPE': 61.25, 'P-MPJPE': 40.0, 'MPJPE/feet': 70.0,
               'MPJPE/left_forefoot': 80.0, 'MPJPE/right_forefoot': 81.0}
    export_released(ckpts, str(small), dict(
        tests={'clean': figures}, member_tests=[{'clean': {'MPJPE': 63.0}},
                                                {'clean': {'MPJPE': 65.54}}],
        recipe=dict(real_cameras=320, lower_body_cameras=20), epochs=3, train_minutes=6.0,
        jobs=2, wall_minutes=3.4,
        real_trials=['TrialA', 'hamner_run200', 'rbds001_run250'],
        lower_body_trials=['rbds001_run250'],
        kept_out=['hamner_run300'], cross_athlete=dict(
            trial='hamner_run300', clean=figures, gait={'hamner_run300': dict(
                contacts=48, ic_mae_ms=30.5, ic_bias_ms=30.5, to_mae_ms=19.7,
                to_bias_ms=19.7, contact_mae_ms=12.9, contact_bias_ms=-10.8)}),
        leave_one_out={
            'TrialA': dict(tests={'clean': figures}, epochs=3, train_minutes=1.5)}),
        out_path=out, shared_data=str(tmp_path / 'no_shared_data'))
    assert is_released_file(out) and not is_released_file(ckpts[-1])
    assert osp.isfile(tmp_path / 'released' / 'MODEL_CARD.md')
    card = open(tmp_path / 'released' / 'MODEL_CARD.md').read()
    assert 'ensemble of 2 trainings' in card
    assert 'the members score 63.0 / 65.5 mm,\ntheir mean 61.2 mm' in card
    assert '--real-cameras 320' in card and '--cameras 4' in card  # the recipe's options
    words = ' '.join(card.split())  # wrapped lines
    assert 'the real trials TrialA, hamner_run200 (' in words
    assert '--lower-body-cameras 20' in card
    assert ('(3 epochs per member, 6.0 min of training summed over the members on a 2-core '
            'CPU, 1.0 min per epoch of each; 2 at a time (`--jobs 2`), 3.4 min in all)') in words
    assert ('The lower-body trials rbds001_run250 (RBDS subject 001, treadmill, a forefoot '
            'striker; knees from its thigh and shank clusters) teach legs and feet through 20 '
            'views each') in words
    assert 'held out: ' in words and 'kept out: hamner_run300' in words
    assert '## Another runner: hamner_run300 (kept out)' in card
    assert '| hamner_run300 | 48 | 30.5 (+30.5) | 19.7 (+19.7) | 12.9 (-10.8) |' in card
    assert '## Leave one trial out' in card and \
        '| TrialA | clean | 61.2 | 40.0 | 70.0 | 80.0 / 81.0 | 3 | 1.5 |' in card
    # figures measured after the export join the meta and the card, the weights untouched;
    # only if they were measured on these weights
    from runningpose_mm.apis.released import add_release_results, weights_fingerprint
    before = weights_fingerprint(out)
    assert before != weights_fingerprint(ckpts[-1])
    measured = dict(trial='hamner_run300', same_runner_trials=['hamner_run200'],
                    clean={**figures, 'MPJPE': 44.44}, gait={})
    with pytest.raises(ValueError, match='measured on other weights'):
        add_release_results(cross_athlete=dict(measured, weights_fingerprint='0' * 64),
                            path=out)
    add_release_results(cross_athlete=dict(measured, weights_fingerprint=before), path=out)
    assert weights_fingerprint(out) == before
    card = ' '.join(open(tmp_path / 'released' / 'MODEL_CARD.md').read().split())
    assert "| clean | 44.4 | 40.0 | 70.0 | 80.0 / 81.0 |" in card
    assert "The same runner's hamner_run200 is in the training data." in card
    assert '## Leave one trial out' in card  # what was there stays
    assert len(load_lifter(str(small), out).members) == 2

    fp32_bytes = sum(v.numel() * 4 for v in torch.load(ckpts[-1], map_location='cpu',
                                                      weights_only=False)['state_dict'].values())
    assert os.path.getsize(out) < 0.7 * fp32_bytes  # two members in less than one float32

    # int8 kernels: each weight within half a quantisation step of the float32 one
    state = torch.load(ckpts[-1], map_location='cpu', weights_only=False)['state_dict']
    packed = pack_state_dict(state)
    unpacked = unpack_state_dict(packed)
    kernel = next(k for k, v in state.items() if v.ndim == 3)
    assert packed[kernel]['int8'].dtype == torch.int8
    step = packed[kernel]['scale'].float()
    assert ((unpacked[kernel] - state[kernel]).abs() <= 0.5 * step + 1e-7).all()

    rng = np.random.default_rng(0)
    x = rng.normal(0, 0.3, (120, 19, 2)).astype(np.float32)
    ensemble = load_lifter(str(small), out)
    assert len(ensemble.members) == 2 and ensemble.fps == 50.0
    singles = [load_lifter(str(small), c).lift_normalized(x) for c in ckpts]
    fp32_pair = load_lifter(str(small), ckpts).lift_normalized(x)
    np.testing.assert_allclose(fp32_pair, np.mean(singles, axis=0), atol=1e-6)
    shipped = ensemble.lift_normalized(x)
    rounding = np.abs(shipped - fp32_pair).mean()
    assert rounding < 0.02 * np.abs(fp32_pair).mean(), rounding
    assert np.abs(singles[0] - singles[1]).mean() > 5 * rounding  # members differ far more
    checkpoint = torch.load(out, map_location='cpu', weights_only=False)
    assert len(checkpoint[MEMBERS_KEY]) == 2 and 'state_dict' not in checkpoint
    # a member trained at another frame rate is refused, not averaged in
    other = torch.load(ckpts[1], map_location='cpu', weights_only=False)
    other['meta']['runningpose']['fps'] = 25.0
    torch.save(other, tmp_path / 'other_rate.pth')
    with pytest.raises(LifterMetaError, match='trained at 25 fps'):
        load_lifter(str(small), [ckpts[0], str(tmp_path / 'other_rate.pth')])

    result = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'test.py'), str(small), out,
         '--work-dir', str(tmp_path / 'cli'), '--out', str(tmp_path / 'm.json'),
         '--cfg-options'] + tiny_options(tiny_data),
        capture_output=True, text=True, cwd=str(tmp_path), timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    ensemble_mpjpe = json.load(open(tmp_path / 'm.json'))['MPJPE']
    member_mpjpe = []
    for c in ckpts:
        runner = build_runner(str(small), work_dir=str(tmp_path / 'member'),
                              cfg_options=tiny_options(tiny_data), load_from=c)
        member_mpjpe.append(runner.test()['MPJPE'])
    # the mean of two models is no worse than the worse of them (a convex error)
    assert 0 < ensemble_mpjpe <= max(member_mpjpe) + 0.5, (ensemble_mpjpe, member_mpjpe)
