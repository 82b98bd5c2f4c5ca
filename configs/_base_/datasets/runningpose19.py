# The runningpose19 skeleton: Human3.6M's 17 joints in MMPose's order, then the
# left (17) and right (18) forefoot. This file is the one definition of the keypoints;
# code reads names, flip pairs, links and the anatomical definitions below from it (see
# runningpose_mm.skeleton). Indices 3 and 6 are the ankle joint centres (MMPose's h36m
# file calls them "foot").
#
# What each joint IS (every source - marker maps, the synthetic runner, the 2D
# conversion tables - must produce this point; a lifter trained on one definition and
# fed another learns an offset it cannot undo). Each definition is chosen so that a 2D
# detector (Halpe-26, COCO-WholeBody, MediaPipe 33), a marker set and the synthetic
# runner can all make it:
joint_definitions = dict(
    root='midpoint of the two hip joint centres (Human3.6M pelvis)',
    right_hip='hip joint centre (mocap: Harrington 2007 regression; 2D: the detector hip)',
    left_hip='hip joint centre (mocap: Harrington 2007 regression; 2D: the detector hip)',
    right_knee='knee joint centre: midpoint of the femoral epicondyles',
    left_knee='knee joint centre: midpoint of the femoral epicondyles',
    right_ankle='ankle joint centre: midpoint of the malleoli',
    left_ankle='ankle joint centre: midpoint of the malleoli',
    spine='midpoint of root and thorax',
    # mid-shoulders, not a sternum/T2 marker point: detectors have no trunk keypoint
    # between the shoulders, and the shoulders are what every source has
    thorax='midpoint of the two shoulder joint centres',
    neck_base='midpoint of thorax and head',
    # the ears are the head points every detector has; marker sets approximate the
    # ear level with the side-of-head markers
    head='centre of the head at ear level: midpoint of the two ears',
    left_shoulder='shoulder (glenohumeral) joint centre, about 40 mm below the acromion',
    left_elbow='elbow joint centre: midpoint of the humeral epicondyles',
    left_wrist='wrist joint centre: midpoint of the radial and ulnar styloids',
    right_shoulder='shoulder (glenohumeral) joint centre, about 40 mm below the acromion',
    right_elbow='elbow joint centre: midpoint of the humeral epicondyles',
    right_wrist='wrist joint centre: midpoint of the radial and ulnar styloids',
    left_forefoot='over the metatarsal heads: on the heel -> toe-tip line at '
    'forefoot_fraction of its length (mocap: mean of the 2nd and 5th metatarsal-head '
    'markers)',
    right_forefoot='over the metatarsal heads: on the heel -> toe-tip line at '
    'forefoot_fraction of its length (mocap: mean of the 2nd and 5th metatarsal-head '
    'markers)',
)
# Where the metatarsal heads lie along the foot, from the back of the heel (0) to the
# tip of the big toe (1): the 1st metatarsophalangeal joint is at about 0.73 of foot
# length and the 5th at about 0.63-0.65 (shoe-last and foot-anthropometry data), so the
# 2nd-5th head midpoint the marker maps use is at about 0.70 (on the Qualisys trials the
# heel marker -> MT2/MT5 midpoint is 173-181 mm: 0.70 of a 250-260 mm foot). 2D detectors
# have heel and toe tips but no metatarsal-head keypoint: their forefoot is placed here.
forefoot_fraction = 0.70

dataset_info = dict(
    dataset_name='runningpose19',
    paper_info=dict(
        author='runningpose_mm contributors; joints 0-16 follow Ionescu et al.',
        title='RunningPose 19-keypoint skeleton (Human3.6M + forefeet)',
        container='runningpose_mm',
        year='2026',
        homepage='',
    ),
    keypoint_info={
        0: dict(name='root', id=0, color=[51, 153, 255], type='lower', swap=''),
        1: dict(name='right_hip', id=1, color=[255, 128, 0], type='lower', swap='left_hip'),
        2: dict(name='right_knee', id=2, color=[255, 128, 0], type='lower', swap='left_knee'),
        3: dict(name='right_ankle', id=3, color=[255, 128, 0], type='lower', swap='left_ankle'),
        4: dict(name='left_hip', id=4, color=[0, 255, 0], type='lower', swap='right_hip'),
        5: dict(name='left_knee', id=5, color=[0, 255, 0], type='lower', swap='right_knee'),
        6: dict(name='left_ankle', id=6, color=[0, 255, 0], type='lower', swap='right_ankle'),
        7: dict(name='spine', id=7, color=[51, 153, 255], type='upper', swap=''),
        8: dict(name='thorax', id=8, color=[51, 153, 255], type='upper', swap=''),
        9: dict(name='neck_base', id=9, color=[51, 153, 255], type='upper', swap=''),
        10: dict(name='head', id=10, color=[51, 153, 255], type='upper', swap=''),
        11: dict(name='left_shoulder', id=11, color=[0, 255, 0], type='upper', swap='right_shoulder'),
        12: dict(name='left_elbow', id=12, color=[0, 255, 0], type='upper', swap='right_elbow'),
        13: dict(name='left_wrist', id=13, color=[0, 255, 0], type='upper', swap='right_wrist'),
        14: dict(name='right_shoulder', id=14, color=[255, 128, 0], type='upper', swap='left_shoulder'),
        15: dict(name='right_elbow', id=15, color=[255, 128, 0], type='upper', swap='left_elbow'),
        16: dict(name='right_wrist', id=16, color=[255, 128, 0], type='upper', swap='left_wrist'),
        17: dict(name='left_forefoot', id=17, color=[0, 255, 0], type='lower', swap='right_forefoot'),
        18: dict(name='right_forefoot', id=18, color=[255, 128, 0], type='lower', swap='left_forefoot'),
    },
    skeleton_info={
        0: dict(link=('root', 'left_hip'), id=0, color=[0, 255, 0]),
        1: dict(link=('left_hip', 'left_knee'), id=1, color=[0, 255, 0]),
        2: dict(link=('left_knee', 'left_ankle'), id=2, color=[0, 255, 0]),
        3: dict(link=('root', 'right_hip'), id=3, color=[255, 128, 0]),
        4: dict(link=('right_hip', 'right_knee'), id=4, color=[255, 128, 0]),
        5: dict(link=('right_knee', 'right_ankle'), id=5, color=[255, 128, 0]),
        6: dict(link=('root', 'spine'), id=6, color=[51, 153, 255]),
        7: dict(link=('spine', 'thorax'), id=7, color=[51, 153, 255]),
        8: dict(link=('thorax', 'neck_base'), id=8, color=[51, 153, 255]),
        9: dict(link=('neck_base', 'head'), id=9, color=[51, 153, 255]),
        10: dict(link=('thorax', 'left_shoulder'), id=10, color=[0, 255, 0]),
        11: dict(link=('left_shoulder', 'left_elbow'), id=11, color=[0, 255, 0]),
        12: dict(link=('left_elbow', 'left_wrist'), id=12, color=[0, 255, 0]),
        13: dict(link=('thorax', 'right_shoulder'), id=13, color=[255, 128, 0]),
        14: dict(link=('right_shoulder', 'right_elbow'), id=14, color=[255, 128, 0]),
        15: dict(link=('right_elbow', 'right_wrist'), id=15, color=[255, 128, 0]),
        16: dict(link=('left_ankle', 'left_forefoot'), id=16, color=[0, 255, 0]),
        17: dict(link=('right_ankle', 'right_forefoot'), id=17, color=[255, 128, 0]),
    },
    joint_weights=[1.] * 19,
    # No OKS sigmas: this skeleton is evaluated in 3D (MPJPE), not with COCO OKS.
    sigmas=[],
)
