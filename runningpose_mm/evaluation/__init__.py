from .runningpose_metric import RunningPoseMetric, format_error_table

__all__ = ['RunningPoseMetric', 'format_error_table']
