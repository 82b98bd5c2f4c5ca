from .events import (FootEvents, GaitEvents, GaitInputError, detect_foot_events,
                     foot_clearance, match_events)

__all__ = ['FootEvents', 'GaitEvents', 'GaitInputError', 'detect_foot_events',
           'foot_clearance', 'match_events']
from .metrics import GaitAnalysis, analyse_gait, running_direction, upright_from_camera  # noqa: E402,E501

__all__ += ['GaitAnalysis', 'analyse_gait', 'running_direction', 'upright_from_camera']
from .report import write_report  # noqa: E402

__all__ += ['write_report']
