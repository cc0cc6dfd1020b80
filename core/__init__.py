"""Helpers below every app (the lowest layer): they import no app of this project."""
