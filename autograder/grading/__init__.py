"""The grading pipeline: submission -> cells -> isolated run -> answers -> checks -> report."""
