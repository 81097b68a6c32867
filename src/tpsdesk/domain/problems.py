"""What validators report: problems tied to a field, with a stable code and a translated text."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class Sex(StrEnum):
    """Sex as written on the KTP and in BPJS files: L (laki-laki) or P (perempuan)."""

    MALE = "L"
    FEMALE = "P"


@dataclass(frozen=True)
class Problem:
    field: str  # OfficerDraft field name, or "" for the whole record
    code: str  # stable machine code, e.g. "nik.length", "birth_date.nik_mismatch"
    severity: Severity
    message: str  # already translated

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR


def error(field: str, code: str, message: str) -> Problem:
    return Problem(field, code, Severity.ERROR, message)


def warning(field: str, code: str, message: str) -> Problem:
    return Problem(field, code, Severity.WARNING, message)


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.severity is Severity.ERROR for p in problems)
