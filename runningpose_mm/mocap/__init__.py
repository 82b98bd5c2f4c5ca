"""Motion capture: readers, marker maps and joint centres, cameras and projection,
detector-like 2D corruption, the dataset writer and the synthetic runner."""
from .cameras import Camera, VirtualRigConfig, load_calibrated_cameras, sample_virtual_cameras
from .forces import (ContactIntervals, ForcePlates, contacts_from_grf, contacts_from_plates,
                     read_force_plates, read_mot)
from .marker_map import (JointData, MarkerMap, MarkerMapError, MissingJointWarning,
                         available_marker_maps, harrington_hip_centre, joints_from_markers)
from .markers import MarkerData, MocapFormatError
from .readers import (read_c3d, read_marker_labels, read_marker_table, read_markers,
                      read_qtm_tsv, read_qualisys_txt, read_trc)
from .synthetic import (RunnerParams, SyntheticRun, model_upper_body, sample_runner_params,
                        synthesize_run)

__all__ = [
    'Camera', 'VirtualRigConfig', 'load_calibrated_cameras', 'sample_virtual_cameras',
    'ContactIntervals', 'ForcePlates', 'contacts_from_grf', 'contacts_from_plates',
    'read_force_plates', 'read_mot', 'JointData', 'MarkerMap',
    'MarkerMapError', 'MissingJointWarning', 'available_marker_maps',
    'harrington_hip_centre', 'joints_from_markers', 'MarkerData', 'MocapFormatError',
    'read_c3d', 'read_marker_labels', 'read_marker_table', 'read_markers', 'read_qtm_tsv',
    'read_qualisys_txt', 'read_trc', 'RunnerParams', 'SyntheticRun', 'model_upper_body',
    'sample_runner_params', 'synthesize_run'
]
