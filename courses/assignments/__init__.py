"""Assignments: work learners hand in, trainers review, and panels select from."""
