"""The released lifter's recipe, end to end, in one command.

    python tools/train_released.py --shared-data ../shared/data [--epochs 10 | --minutes 45] \
        [--hold-out Tindra2] [--members 3] [--work-dir work_dirs/released] [--export]
    python tools/train_released.py --leave-one-out ...   # the recipe once per real trial
    python tools/train_released.py --update-release --cross-athlete-results FIGURES.json

1. Dataset: every real trial of ``--shared-data`` whose marker set gives the whole
   skeleton, or estimates the joints it has no markers for (Hamner's knees and head),
   through ``--real-cameras`` views each; the lower-body-only RBDS trials through
   ``--lower-body-cameras`` views, their upper body modelled as 2D input only (never a
   3D target; 2D inputs with holes are what detectors never produce); except the
   ``--keep-out`` ones (default hamner_run300: another runner to test on with
   ``benchmarks/cross_athlete.py``), plus ``--synthetic``
   synthetic runners through ``--cameras`` cameras; half of all views with detector-like
   2D; with ``--body-scale`` each view of a real trial films the athlete's motion on a
   body of its own (segment lengths varied, as the synthetic runners' are). Validation:
   synthetic runners only (checkpoints are never selected on a real trial). With
   ``--hold-out TRIAL`` that trial is the test set (clean and detector-like 2D), never
   trained on.
2. Training (configs/runningpose_tcn_released.py, MMEngine Runner): ``--epochs`` epochs,
   or as many as fit in ``--minutes`` (an epoch timed on a tenth of the windows; the count
   then depends on the machine and its load); the learning rate decays tenfold over them.
3. ``--members N``: steps 1-2 again with seeds ``--seed`` + 1, ... (other synthetic
   runners, cameras, noise and initial weights): the release is the ensemble of the N
   trainings, its 3D their mean; ``--jobs N`` trains them side by side. Each finished
   member leaves ``member.json`` in its work dir: the same command again (a run stopped
   after some members finished) trains only the others, and resumes a member stopped
   mid-training from its last epoch (a checkpoint after every epoch; ``train/
   training.json`` holds its recipe, epochs and minutes so far).
4. Test on the held-out trial, clean and detector-like 2D: MPJPE, P-MPJPE, feet (of the
   ensemble, and of each member).
5. ``--export``: the best checkpoint(s), compactly (int8 kernels), with the meta (frame
   rate, keypoints, recipe, figures) into ``runningpose_mm/released/``.

``--leave-one-out``: steps 1-4 once per real trial with a whole skeleton (the trials the
lifter can train and test on), that trial held out, in ``WORK_DIR/hold_out_<trial>``;
prints the model card's table and writes ``WORK_DIR/leave_one_out.json``.

``--update-release``: no training; figures measured after the export go into the shipped
file's meta and model card (the weights untouched): ``--cross-athlete-results`` (the
``--json`` of ``benchmarks/cross_athlete.py --lifter released --trials run300``, the
kept-out trial; refused unless measured on these very weights) and
``--leave-one-out-results``.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Optional

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)

import runningpose_mm  # noqa: E402,F401
from runningpose_mm.apis.runner import (TrainingMinutesHook, best_checkpoint,  # noqa: E402
                                        build_runner)
from runningpose_mm.evaluation import format_error_table  # noqa: E402
from runningpose_mm.mocap.cameras import VirtualRigConfig  # noqa: E402
from runningpose_mm.mocap.corruption import DetectorNoiseConfig  # noqa: E402
from runningpose_mm.mocap.dataset_builder import (BODY_SCALE_SD_MAX, BuildConfig,  # noqa: E402
                                                  build_dataset, valid_body_scale_sd,
                                                  format_summary, shared_data_trials,
                                                  synthetic_trials)

CONFIG = osp.join(REPO, 'configs', 'runningpose_tcn_released.py')
QUIET = ['default_hooks.logger.interval=200', 'log_level=WARNING']


def build(args, data_dir):
    real = [t for t in shared_data_trials(args.shared_data) if t.name not in args.keep_out
            and (args.lower_body_cameras or not t.model_upper_body)]
    if not real:
        sys.exit(f'error: no real trials in {args.shared_data}')
    for trial in real:
        trial.split = 'test' if trial.name == args.hold_out else 'train'
        trial.num_cameras = args.lower_body_cameras if trial.model_upper_body \
            else args.real_cameras
    if args.hold_out and not any(t.split == 'test' for t in real):
        sys.exit(f'error: --hold-out {args.hold_out}: no such trial '
                 f'({", ".join(t.name for t in real)})')
    trials = real + synthetic_trials(args.synthetic, 'train', args.seed, args.seconds) + \
        synthetic_trials(max(4, args.synthetic // 10), 'val', args.seed + 1, args.seconds)
    summaries = {}
    for name, fraction in (('mixed', 0.5), ('noisy', 1.0)):
        if name == 'noisy' and not args.hold_out:
            continue
        use = trials if name == 'mixed' else [t for t in trials if t.split != 'train']
        out = osp.join(data_dir, name)
        if osp.isfile(osp.join(out, 'summary.json')):
            with open(osp.join(out, 'summary.json')) as f:
                summaries[name] = json.load(f)
            continue
        config = BuildConfig(fps=50.0, cameras_per_trial=args.cameras,
                             rig=VirtualRigConfig(distance_m=tuple(args.camera_distance)),
                             noise=DetectorNoiseConfig(far_arm_copy_prob=args.far_arm_copy),
                             noise_fraction=fraction,
                             body_scale_sd=tuple(args.body_scale),
                             noise_splits=('train', 'val') if name == 'mixed' else
                             ('train', 'val', 'test'), seed=args.seed)
        summaries[name] = build_dataset(use, out, config, progress=False)
        print(format_summary(summaries[name]), flush=True)
    return summaries


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--shared-data', default=osp.join(osp.dirname(REPO), 'shared', 'data'),
                        help='folder of the real mocap')
    parser.add_argument('--work-dir', default=osp.join(REPO, 'work_dirs', 'released'),
                        help='datasets, logs and checkpoints')
    parser.add_argument('--config', default=CONFIG,
                        help='lifter config (default: the released one; '
                        'configs/runningpose_tcn_traj.py adds the root-trajectory branch)')
    parser.add_argument('--hold-out', default='Tindra2',
                        help="real trial kept out for testing ('' trains on all)")
    parser.add_argument('--keep-out', nargs='*', default=['hamner_run300'], metavar='TRIAL',
                        help="real trials used neither for training nor for the recipe's test "
                        '(default: hamner_run300, for benchmarks/cross_athlete.py --trials '
                        'run300: another runner than the held-out one)')
    parser.add_argument('--minutes', type=float, default=36.0, help='training time budget')
    parser.add_argument('--epochs', type=int,
                        help='train exactly this many epochs (the released model: 10) instead '
                        'of as many as --minutes allows on this machine')
    parser.add_argument('--synthetic', type=int, default=200, help='synthetic runners')
    parser.add_argument('--seconds', type=float, default=4.0, help='per synthetic runner')
    parser.add_argument('--cameras', type=int, default=4, help='per synthetic runner')
    parser.add_argument('--real-cameras', type=int, default=320,
                        help='per real trial (the release: 320; the previous one: 80)')
    parser.add_argument('--lower-body-cameras', type=int, default=20,
                        help='per real trial whose marker set has no upper body (RBDS: 30 s '
                        'each; its legs and feet are 3D targets, its upper body modelled 2D '
                        'input only): 20 views of 1500 frames give about as many windows as '
                        "320 views of a 4-s trial; 0 leaves such trials out")
    parser.add_argument('--camera-distance', type=float, nargs=2, metavar=('MIN', 'MAX'),
                        default=list(VirtualRigConfig.distance_m),
                        help='virtual cameras this many metres from the runner (default: '
                        'VirtualRigConfig)')
    parser.add_argument('--body-scale', type=float, nargs=2, metavar=('SEGMENT_SD', 'BODY_SD'),
                        default=list(BuildConfig.body_scale_sd),
                        help='each virtual camera of a real trial films the athlete with '
                        'segments this much longer or shorter (SD of a length factor per '
                        'segment, and of one for the whole body; default: the athlete as '
                        'recorded)')
    parser.add_argument('--far-arm-copy', type=float, metavar='P',
                        default=DetectorNoiseConfig.far_arm_copy_prob,
                        help='chance that a detector-like view draws the hidden far arm as '
                        'a copy of the near one, as detectors guess it (DetectorNoiseConfig.'
                        'far_arm_copy_prob)')
    parser.add_argument('--seed', type=int, default=0, help='seed of runners, cameras and noise')
    parser.add_argument('--members', type=int, default=2,
                        help='train the recipe this many times (seeds --seed, --seed + 1, ...; '
                        'each its own data draw) and release the ensemble (mean 3D; the '
                        'release: 2)')
    parser.add_argument('--jobs', type=int, default=1,
                        help='train this many members at once, each in its own process with '
                        'a share of the cores (2 on 2 cores: ~15 %% sooner in all)')
    parser.add_argument('--export', action='store_true',
                        help='write the best checkpoint(s) into runningpose_mm/released/')
    parser.add_argument('--leave-one-out-results', metavar='JSON',
                        help='with --export: the leave_one_out.json of a --leave-one-out run '
                        'of this recipe, for the model card')
    parser.add_argument('--cross-athlete-results', metavar='JSON',
                        help='with --update-release: the --json of benchmarks/cross_athlete.py '
                        'on the shipped weights (the kept-out trial), for the model card')
    parser.add_argument('--update-release', action='store_true',
                        help='train nothing: add --cross-athlete-results and/or '
                        "--leave-one-out-results to the shipped release's meta and model card")
    parser.add_argument('--leave-one-out', action='store_true',
                        help='run the recipe once per real whole-skeleton trial, that trial '
                        'held out (work-dir/hold_out_<trial>), and print the table')
    return parser


def main():
    parser = build_parser()
    args = parser.parse_args()
    if not valid_body_scale_sd(args.body_scale):
        parser.error(f'--body-scale takes two standard deviations between 0 and '
                     f'{BODY_SCALE_SD_MAX} (e.g. 0.06 0.04), got '
                     f'{" ".join(map(str, args.body_scale))}')
    if not 0 <= args.far_arm_copy <= 1:
        parser.error(f'--far-arm-copy is a probability (0-1), got {args.far_arm_copy}')
    if args.members < 1:
        parser.error(f'--members must be 1 or more, got {args.members}')
    if args.jobs < 1:
        parser.error(f'--jobs must be 1 or more, got {args.jobs}')
    if args.lower_body_cameras < 0:
        parser.error(f'--lower-body-cameras must be 0 or more, got {args.lower_body_cameras}')
    for option, path, what in (
            ('--leave-one-out-results', args.leave_one_out_results,
             'the leave_one_out.json a --leave-one-out run writes'),
            ('--cross-athlete-results', args.cross_athlete_results,
             'the --json of benchmarks/cross_athlete.py')):
        if path and not osp.isfile(path):
            parser.error(f'{option} {path}: no such file ({what})')
    if args.cross_athlete_results and not args.update_release:
        parser.error('--cross-athlete-results measures exported weights: use it with '
                     '--update-release, after the export')
    if args.update_release:
        if not (args.cross_athlete_results or args.leave_one_out_results):
            parser.error('--update-release adds --cross-athlete-results and/or '
                         '--leave-one-out-results; neither was given')
        return update_release(args)
    if args.leave_one_out:
        if args.export:
            parser.error('--leave-one-out measures the recipe; export from one run')
        return leave_one_out(args)
    run_recipe(args)


def update_release(args):
    """Add figures measured after the export to the shipped file and its model card."""
    from runningpose_mm.apis.released import RELEASED_WEIGHTS, add_release_results
    results = {}
    for key, path in (('cross_athlete', args.cross_athlete_results),
                      ('leave_one_out', args.leave_one_out_results)):
        if path:
            try:
                with open(path) as f:
                    results[key] = json.load(f)
            except ValueError as exc:
                sys.exit(f'error: {path}: not JSON ({exc})')
    try:
        add_release_results(**results)
    except (ValueError, FileNotFoundError) as exc:
        sys.exit(f'error: {exc}')
    print(f"added {', '.join(results)} to {RELEASED_WEIGHTS} and its model card")


def leave_one_out(args):
    """The recipe once per real trial with a whole skeleton (the only ones the lifter
    trains and tests on), that trial held out: never trained on, never used to select."""
    from runningpose_mm.mocap.dataset_builder import whole_skeleton_trials
    trials = [t.name for t in whole_skeleton_trials(shared_data_trials(args.shared_data))
              if t.name not in args.keep_out]
    if len(trials) < 2:
        sys.exit(f'error: leave-one-out needs two or more real whole-skeleton trials in '
                 f'{args.shared_data}, found {trials}')
    table = {}
    for trial in trials:
        run = argparse.Namespace(**{**vars(args), 'hold_out': trial,
                                    'work_dir': osp.join(args.work_dir, f'hold_out_{trial}')})
        table[trial] = run_recipe(run)
    from runningpose_mm.apis.released import format_leave_one_out
    print(format_leave_one_out(table))
    with open(osp.join(args.work_dir, 'leave_one_out.json'), 'w') as f:
        json.dump(table, f, indent=2)


def run_recipe(args) -> dict:
    """Train (every member), test on the held-out trial, export: the results dict."""
    seeds = [args.seed + i for i in range(args.members)]
    start = time.perf_counter()
    work_dirs = [args.work_dir if args.members == 1 else osp.join(args.work_dir, f'seed{seed}')
                 for seed in seeds]
    jobs = min(args.jobs, len(seeds))
    if jobs > 1:
        # each training in its own process with cores / jobs threads: on 2 cores two
        # one-thread trainings finish together ~15 % sooner than one after the other with
        # two threads (a TCN step scales poorly to a second thread; data loading not at all:
        # 0.85 s per iteration each side by side, 0.50 alone with two threads)
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor
        threads = max(1, (os.cpu_count() or 1) // jobs)
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context('spawn'),
                                 initializer=_set_threads, initargs=(threads,)) as pool:
            members = list(pool.map(train_member, [args] * len(seeds), seeds, work_dirs))
    else:
        members = [train_member(args, seed, work_dir) for seed, work_dir in zip(seeds, work_dirs)]
    train_min = sum(m['train_minutes'] for m in members)
    wall_min = (time.perf_counter() - start) / 60
    best = [m['checkpoint'] for m in members]
    results = dict(checkpoint=best if len(best) > 1 else best[0], seeds=seeds,
                   epochs=members[0]['epochs'], train_minutes=round(train_min, 1),
                   jobs=jobs, wall_minutes=round(wall_min, 1),
                   windows=members[0]['windows'], hold_out=args.hold_out, tests={},
                   real_trials=members[0]['real_trials'], kept_out=list(args.keep_out),
                   lower_body_trials=members[0]['lower_body_trials'],
                   recipe=dict(synthetic=args.synthetic, cameras=args.cameras,
                               real_cameras=args.real_cameras,
                               lower_body_cameras=args.lower_body_cameras,
                               far_arm_copy=args.far_arm_copy,
                               body_scale=list(args.body_scale)))
    if len(members) > 1:
        print(f'{len(members)} members trained in {train_min:.1f} min, summed '
              f'({wall_min:.1f} min with their data sets, {jobs} at a time)')
    if args.hold_out:
        # every member and the ensemble on the same views: the first member's (the views
        # of the held-out trial are drawn with each member's seed)
        if len(members) > 1:
            results['member_tests'] = [test_held_out(args, [m], members[0]['data_dir'])
                                       for m in best]
        results['tests'] = test_held_out(args, best, members[0]['data_dir'])
    with open(osp.join(args.work_dir, 'results.json'), 'w') as f:
        json.dump(results, f, indent=2)
    if args.export:
        from runningpose_mm.apis.released import export_released
        if args.leave_one_out_results:
            with open(args.leave_one_out_results) as f:
                results['leave_one_out'] = json.load(f)
        path = export_released(best, args.config, results)
        print(f'exported {path}')
    return results


def _set_threads(threads: int):
    import torch
    torch.set_num_threads(threads)


# the options that make a member what it is: a finished member is reused only if they match
MEMBER_RECIPE = ('config', 'hold_out', 'keep_out', 'minutes', 'epochs', 'synthetic', 'seconds',
                 'cameras', 'real_cameras', 'lower_body_cameras', 'camera_distance',
                 'body_scale', 'far_arm_copy', 'seed')
MEMBER_FILE = 'member.json'
TRAINING_FILE = 'training.json'  # a member's training as it goes: recipe, epochs, minutes


def member_recipe(args) -> dict:
    """What makes a member what it is (``--minutes`` only when it sets the epochs)."""
    return {k: (osp.basename(v) if k == 'config' else v) for k, v in vars(args).items()
            if k in MEMBER_RECIPE and not (k == 'minutes' and args.epochs)}


def _record_of_this_recipe(args, path: str, what: str) -> Optional[dict]:
    """The JSON record at ``path`` (None if there is none); one of another recipe (its
    ``recipe`` not this member's) is an error, never silently reused."""
    if not osp.isfile(path):
        return None
    with open(path) as f:
        record = json.load(f)
    if record.get('recipe') != member_recipe(args):
        sys.exit(f"error: {path}: {what} with another recipe ({record.get('recipe')}); "
                 'use another --work-dir')
    return record


def finished_member(args, work_dir: str) -> Optional[dict]:
    """The member trained before in ``work_dir`` (its ``member.json``: a run stopped after
    some members finished goes on with the others), or None; another recipe's member
    there is an error, never silently reused."""
    path = osp.join(work_dir, MEMBER_FILE)
    member = _record_of_this_recipe(args, path, 'a member trained')
    if member is None:
        return None
    member['checkpoint'] = osp.join(work_dir, member['checkpoint'])
    if not osp.isfile(member['checkpoint']):
        sys.exit(f"error: {path}: its checkpoint {member['checkpoint']} is missing")
    return member


def started_training(args, train_dir: str) -> Optional[dict]:
    """An unfinished training of this member in ``train_dir`` to resume from its last epoch
    checkpoint (a run stopped mid-training goes on where it stopped), or None (none
    started, or stopped before its first checkpoint); another recipe's is an error. The
    resumed training draws other batches than an unstopped one would, and skips the
    validation of an epoch whose checkpoint was saved just before the stop."""
    started = _record_of_this_recipe(args, osp.join(train_dir, TRAINING_FILE),
                                     'a training started')
    last = osp.join(train_dir, 'last_checkpoint')  # MMEngine's CheckpointHook writes it
    if started is None or not osp.isfile(last):
        return None
    with open(last) as f:
        started['last_checkpoint'] = f.read().strip()
    if not osp.isfile(started['last_checkpoint']):
        sys.exit(f"error: {last}: its checkpoint {started['last_checkpoint']} is missing")
    return started


def train_member(args, seed: int, work_dir: str) -> dict:
    """Data sets (drawn with ``seed``) and training: checkpoint, epochs, minutes, windows,
    data_dir. A member finished before in ``work_dir`` is not trained again."""
    args = argparse.Namespace(**{**vars(args), 'seed': seed})
    finished = finished_member(args, work_dir)  # another recipe's: an error before any work
    train_dir = osp.join(work_dir, 'train')
    started = None if finished else started_training(args, train_dir)  # ditto
    data_dir = osp.join(work_dir, 'data')
    start = time.perf_counter()
    summaries = build(args, data_dir)  # the held-out test needs them, also when reused
    print(f'seed {seed}: datasets built in {time.perf_counter() - start:.0f} s', flush=True)
    train = summaries['mixed']['splits']['train']
    data = dict(windows=train['rows'], data_dir=data_dir,
                real_trials=[t for t in train['trials'] if not t.startswith('synthetic_')],
                # the trials that teach legs and feet only (their upper body modelled)
                lower_body_trials=[t for t in train['trials']
                                   if summaries['mixed']['trials'][t].get('modelled_joints')])
    if finished is not None:
        print(f"seed {seed}: trained before ({osp.join(work_dir, MEMBER_FILE)}), reused",
              flush=True)
        return {**finished, **data}
    mixed = osp.join(data_dir, 'mixed')
    roots = [f'{s}_dataloader.dataset.data_root={mixed}' for s in ('train', 'val', 'test')]
    if started is not None:
        epochs = started['epochs']  # as first decided, also when --minutes decided it
    elif args.epochs:
        epochs = args.epochs
    else:
        # a timed epoch on a tenth of the windows sets how many whole epochs fit
        probe = build_runner(args.config, work_dir=osp.join(work_dir, 'probe'),
                             cfg_options=roots + QUIET + [
                                 'train_cfg.max_epochs=1', 'train_cfg.val_interval=100',
                                 'train_dataloader.dataset.subset_frac=0.1'])
        start = time.perf_counter()
        probe.train()
        epoch_s = 10 * (time.perf_counter() - start)
        epochs = max(2, int(args.minutes * 60 / epoch_s / args.members))
        print(f'one epoch about {epoch_s / 60:.1f} min '
              f'({10 * len(probe.train_dataloader.dataset)} windows)', flush=True)
        del probe
    if started is None:
        os.makedirs(train_dir, exist_ok=True)
        with open(osp.join(train_dir, TRAINING_FILE), 'w') as f:
            json.dump(dict(recipe=member_recipe(args), epochs=epochs), f, indent=2)
    gamma = 0.1 ** (1 / epochs)
    print(f'seed {seed}: {epochs} epochs, lr x{gamma:.3f} per epoch', flush=True)
    # a checkpoint after every epoch (the last one kept): a stopped training resumes there
    runner = build_runner(args.config, work_dir=train_dir, cfg_options=roots + QUIET + [
        'default_hooks.checkpoint.interval=1',
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={max(1, epochs // 6)}',
        f'param_scheduler.0.end={epochs}', f'param_scheduler.0.gamma={gamma}',
        f'randomness.seed={seed}'], resume='auto' if started else None)
    clock = TrainingMinutesHook(osp.join(train_dir, TRAINING_FILE))
    runner.register_hook(clock)
    if started:
        print(f"seed {seed}: resuming from {started['last_checkpoint']}", flush=True)
    runner.train()
    train_min = clock.minutes(runner)
    val = runner.message_hub.log_scalars.get('val/MPJPE')
    print(f'seed {seed}: trained {epochs} epochs in {train_min:.1f} min '
          f'({train_min / epochs:.1f} min/epoch)', flush=True)
    if val is not None:
        print('validation MPJPE (synthetic, mm): ' + ', '.join(f'{v:.1f}' for v in val.data[0]))
    trained = dict(checkpoint=best_checkpoint(runner), epochs=epochs,
                   train_minutes=round(train_min, 1))
    if clock.resumed_after:
        trained['resumed_after_epoch'] = clock.resumed_after
    with open(osp.join(work_dir, MEMBER_FILE), 'w') as f:  # the data is rebuilt on reuse
        json.dump({**trained, 'checkpoint': osp.relpath(trained['checkpoint'], work_dir),
                   'recipe': member_recipe(args)}, f, indent=2)
    return {**trained, **data}


def test_held_out(args, checkpoints, data_dir) -> dict:
    """The held-out trial, clean and detector-like 2D, lifted by the checkpoints (several:
    their mean 3D, as the released ensemble lifts)."""
    from runningpose_mm.apis.lifting import load_lifter
    from runningpose_mm.evaluation import score_on_test_set
    lifter = load_lifter(args.config, checkpoints)
    tests = {}
    for name in ('mixed', 'noisy'):
        # the test split of 'mixed' is clean: test views are never corrupted there
        tester = build_runner(args.config, work_dir=osp.join(data_dir, '..', f'test_{name}'),
                              cfg_options=QUIET + [f'test_dataloader.dataset.data_root='
                                                   f'{osp.join(data_dir, name)}'])
        metrics = score_on_test_set(tester, lifter)
        label = 'clean' if name == 'mixed' else 'detector-like'
        tests[label] = metrics
        print(f'{args.hold_out}, {label} 2D' + (f' ({len(checkpoints)} members):'
                                                  if len(checkpoints) > 1 else ':'))
        print(format_error_table(metrics), flush=True)
    return tests


if __name__ == '__main__':
    main()
