"""Grading a whole course's submissions at once, each as isolated as single grading."""
