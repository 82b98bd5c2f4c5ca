from .cadence import cadence_from_2d
from .events import (FootEvents, GaitEvents, GaitInputError, detect_foot_events,
                     foot_clearance, ground_height, ground_speed_fraction,
                     is_pelvis_relative, match_events)

__all__ = ['cadence_from_2d', 'FootEvents', 'GaitEvents', 'GaitInputError', 'detect_foot_events',
           'foot_clearance', 'ground_height', 'ground_speed_fraction', 'is_pelvis_relative',
           'match_events']
from .metrics import GaitAnalysis, analyse_gait, running_direction, upright_from_camera  # noqa: E402,E501

__all__ += ['GaitAnalysis', 'analyse_gait', 'running_direction', 'upright_from_camera']
from .report import gait_report_from_lifted, write_report  # noqa: E402

__all__ += ['gait_report_from_lifted', 'write_report']
