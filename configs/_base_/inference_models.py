# 2D models with foot keypoints and the person detector used by the video inferencer
# (runningpose_mm.apis.inferencer): MMPose configs (inside the installed mmpose package)
# and the standard OpenMMLab weights. Offline, pass local files instead
# (tools/infer.py --pose2d-weights / --det-weights).
pose2d_models = dict(
    halpe26=dict(
        config='mmpose::body_2d_keypoint/rtmpose/body8/'
        'rtmpose-m_8xb512-700e_body8-halpe26-256x192.py',
        weights='https://download.openmmlab.com/mmpose/v1/projects/rtmposev1/'
        'rtmpose-m_simcc-body7_pt-body7-halpe26_700e-256x192-4d3e73dd_20230605.pth'),
    wholebody=dict(
        config='mmpose::wholebody_2d_keypoint/rtmpose/coco-wholebody/'
        'rtmpose-m_8xb64-270e_coco-wholebody-256x192.py',
        weights='https://download.openmmlab.com/mmpose/v1/projects/rtmposev1/'
        'rtmpose-m_simcc-coco-wholebody_pt-aic-coco_270e-256x192-cd5e845c_20230123.pth'),
)
# lighter RTMPose sizes of the same Halpe-26 model (faster on a CPU, less accurate;
# benchmarks/pipeline_speed.py --pose2d halpe26-s)
pose2d_models['halpe26-s'] = dict(
    config='mmpose::body_2d_keypoint/rtmpose/body8/'
    'rtmpose-s_8xb1024-700e_body8-halpe26-256x192.py',
    weights='https://download.openmmlab.com/mmpose/v1/projects/rtmposev1/'
    'rtmpose-s_simcc-body7_pt-body7-halpe26_700e-256x192-7f134165_20230605.pth')
pose2d_models['halpe26-t'] = dict(
    config='mmpose::body_2d_keypoint/rtmpose/body8/'
    'rtmpose-t_8xb1024-700e_body8-halpe26-256x192.py',
    weights='https://download.openmmlab.com/mmpose/v1/projects/rtmposev1/'
    'rtmpose-t_simcc-body7_pt-body7-halpe26_700e-256x192-6020f8a6_20230605.pth')
pose2d_models['body26'] = pose2d_models['halpe26']
# person detectors (tools/infer.py --det-model NAME); the fast 2D stage runs one on every
# --det-interval-th frame only, so the lighter one mostly matters for --det-interval 1
detectors = {
    'rtmdet-m': dict(
        config='mmpose::../demo/mmdetection_cfg/rtmdet_m_640-8xb32_coco-person.py',
        weights='https://download.openmmlab.com/mmpose/v1/projects/rtmpose/'
        'rtmdet_m_8xb32-100e_coco-obj365-person-235e8209.pth'),
    'rtmdet-nano': dict(
        config='mmpose::../demo/mmdetection_cfg/rtmdet_nano_320-8xb32_coco-person.py',
        weights='https://download.openmmlab.com/mmpose/v1/projects/rtmpose/'
        'rtmdet_nano_8xb32-100e_coco-obj365-person-05d8511e.pth'),
}
detector = detectors['rtmdet-m']  # the default
