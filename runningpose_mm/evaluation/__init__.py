from .runningpose_metric import RunningPoseMetric, format_error_table
from .whole_sequence_loop import (WholeSequenceTestLoop, WholeSequenceValLoop,
                                  evaluate_whole_sequences, score_lifter,
                                  score_on_test_set)

__all__ = ['RunningPoseMetric', 'format_error_table', 'WholeSequenceTestLoop',
           'WholeSequenceValLoop', 'evaluate_whole_sequences', 'score_lifter',
           'score_on_test_set']
