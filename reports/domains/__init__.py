"""Sources and metrics over each part of the platform's data (training, exams, certificates, warnings)."""

from . import certificates, cms, courses, exams  # noqa: F401
