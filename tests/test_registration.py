"""Importing the plugin registers every class into MMPose's registries; configs find them."""
import pytest
from mmengine.config import Config
from mmengine.registry import init_default_scope

import runningpose_mm  # noqa: F401
from mmpose.registry import DATASETS, INFERENCERS, LOOPS, METRICS, MODELS, TRANSFORMS

from conftest import REPO

PLUGIN_CLASSES = {
    MODELS: ['VisibleMPJPELoss', 'RunningPoseLifter', 'RootTrajectoryHead'],
    LOOPS: ['WholeSequenceValLoop', 'WholeSequenceTestLoop'],
    INFERENCERS: ['runningpose'],
    TRANSFORMS: ['RandomFlipSequence'],
    METRICS: ['RunningPoseMetric'],
    DATASETS: ['RunningPoseDataset'],
}


def test_plugin_classes_are_in_mmpose_registries():
    for registry, names in PLUGIN_CLASSES.items():
        for name in names:
            cls = registry.get(name)
            assert cls is not None, f'{name} not in {registry.name}'
            assert cls.__module__.startswith('runningpose_mm.'), (name, cls)


def test_every_plugin_class_builds_from_a_config_dict(tmp_path):
    init_default_scope('mmpose')
    assert MODELS.build(dict(type='VisibleMPJPELoss', loss_weight=2.0)).loss_weight == 2.0
    assert TRANSFORMS.build(dict(type='RandomFlipSequence', flip_prob=0.3)).flip_prob == 0.3
    assert METRICS.build(dict(type='RunningPoseMetric')).root_index == 0
    assert MODELS.build(dict(type='RootTrajectoryHead', in_channels=8)).conv.out_channels == 3
    cfg = Config.fromfile(f'{REPO}/configs/runningpose_tcn_27frm.py')
    model = MODELS.build(cfg.model)
    assert type(model).__name__ == 'RunningPoseLifter'
    assert model.head.num_joints == 19
    # the dataset builds from its config dict (on a file the test makes)
    from runningpose_mm.mocap.dataset_builder import (BuildConfig, build_dataset,
                                                      synthetic_trials)
    build_dataset(synthetic_trials(1, 'train', 0, 1.0), str(tmp_path),
                  BuildConfig(cameras_per_trial=1), progress=False)
    dataset = DATASETS.build(dict(type='RunningPoseDataset', ann_file='train.npz',
                                  data_root=str(tmp_path), seq_len=27))
    assert len(dataset) > 0


def test_config_naming_an_unknown_class_fails_with_class_and_registry(tmp_path):
    init_default_scope('mmpose')
    with pytest.raises(KeyError) as err:
        MODELS.build(dict(type='RunningPoseLiftr'))
    message = str(err.value)
    assert 'RunningPoseLiftr' in message and 'model' in message and 'registry' in message


def test_configs_import_the_plugin_and_use_the_mmpose_scope():
    for name in ('runningpose_tcn', 'runningpose_tcn_27frm', 'runningpose_tcn_243frm'):
        cfg = Config.fromfile(f'{REPO}/configs/{name}.py')
        assert cfg.custom_imports == dict(imports=['runningpose_mm'],
                                          allow_failed_imports=False)
        assert cfg.default_scope == 'mmpose'
