"""runningpose_mm: an MMPose 1.x plugin for 3D running pose and running-gait analysis.

Install into an environment that already has the OpenMMLab stack (see README:
``tools/env/bootstrap.sh`` builds it, including mmcv with ops):

    pip install --no-deps -e .
"""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))


def read_version() -> str:
    scope = {}
    with open(osp.join(HERE, 'runningpose_mm', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def read_requirements(name: str) -> list:
    with open(osp.join(HERE, 'requirements', name)) as f:
        return [line.split('#')[0].strip() for line in f if line.split('#')[0].strip()]


class BuildPyWithConfigs(build_py):
    """Ship configs/ inside the package (``runningpose_mm/.mim/configs``) for non-editable
    installs, as OpenMMLab packages do, so the skeleton definition is found there."""

    def run(self):
        super().run()
        target = osp.join(self.build_lib, 'runningpose_mm', '.mim', 'configs')
        if osp.isdir(target):
            shutil.rmtree(target)
        shutil.copytree(osp.join(HERE, 'configs'), target)


setup(
    name='runningpose_mm',
    version=read_version(),
    description='3D running pose and running-gait analysis from one video, as an '
    'MMPose 1.x plugin',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('tests', 'tools', 'configs', 'benchmarks')),
    package_data={'runningpose_mm.mocap': ['marker_maps/*.yaml'],
                  # the released lifter (half-precision weights) and its model card
                  'runningpose_mm': ['released/*.pth', 'released/*.md']},
    python_requires='>=3.11',
    # mmcv (built with ops), mmpose (--no-deps) and xtcocotools come from
    # tools/env/bootstrap.sh; the rest are ordinary requirements
    install_requires=read_requirements('runtime.txt') + ['torch', 'torchvision'],
    cmdclass={'build_py': BuildPyWithConfigs},
    zip_safe=False,
)
