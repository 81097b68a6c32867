"""Which unit a screen is about: one TPS, one kelurahan or one kecamatan."""

from __future__ import annotations

from dataclasses import dataclass

from tpsdesk.domain.area import format_tps
from tpsdesk.domain.posts import Unit
from tpsdesk.i18n import _


@dataclass(frozen=True)
class UnitRef:
    unit: Unit
    code: str  # the TPS id, the kelurahan code or the kecamatan code
    name: str
    tps_number: int | None = None
    kelurahan_code: str | None = None

    @classmethod
    def for_tps(cls, tps_id: str, number: int, kelurahan_code: str, kelurahan_name: str) -> UnitRef:
        return cls(Unit.TPS, tps_id, kelurahan_name, number, kelurahan_code)

    @property
    def title(self) -> str:
        if self.unit == Unit.TPS and self.tps_number is not None:
            return _("TPS {number} — {kelurahan}").format(
                number=format_tps(self.tps_number), kelurahan=self.name
            )
        if self.unit == Unit.KELURAHAN:
            return _("Kelurahan {name} ({code})").format(name=self.name, code=self.code)
        return _("Kecamatan {name} ({code})").format(name=self.name, code=self.code)

    def placement(self) -> dict[str, str | None]:
        """Keyword arguments for the officer repository: where a new officer belongs."""
        if self.unit == Unit.TPS:
            return {"tps_id": self.code}
        if self.unit == Unit.KELURAHAN:
            return {"kelurahan_code": self.code}
        return {"kecamatan_code": self.code}
