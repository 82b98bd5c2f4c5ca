from .cadence import cadence_from_2d
from .events import (FootEvents, GaitEvents, GaitInputError, detect_foot_events,
                     foot_clearance, ground_height, ground_speed_fraction,
                     is_pelvis_relative, match_events, pelvis_heading,
                     compare_with_reference)

__all__ = ['cadence_from_2d', 'FootEvents', 'GaitEvents', 'GaitInputError', 'detect_foot_events',
           'foot_clearance', 'ground_height', 'ground_speed_fraction', 'is_pelvis_relative',
           'match_events', 'pelvis_heading', 'compare_with_reference']
from .metrics import (GaitAnalysis, analyse_gait, running_direction,  # noqa: E402
                      upright_from_camera, upright_lifted)

__all__ += ['GaitAnalysis', 'analyse_gait', 'running_direction', 'upright_from_camera',
            'upright_lifted']
from .report import gait_report_from_lifted, write_report  # noqa: E402

__all__ += ['gait_report_from_lifted', 'write_report']
