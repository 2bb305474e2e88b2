"""Learners: review histories imported from Anki, a per-learner difficulty model, and class reports."""
