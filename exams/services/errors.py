"""Refusals of exam actions, each with a clear message."""

from __future__ import annotations







class ExamError(Exception):
    """A refused exam action with a clear Chinese message."""

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


class LateSave(ExamError):
    """A save refused because the attempt is submitted or past its deadline (the caller submits it)."""
