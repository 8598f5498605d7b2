"""Cohorts: one run of a course for a group, with its trainers, members, workshop sessions and attendance."""
