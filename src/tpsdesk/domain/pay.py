"""The district's pay settings: the wage basis, the JKK and JKM rates and the rounding.

Pure rules (DOMAIN.md "What is paid"): a monthly contribution is (JKK % + JKM %) of the wage
basis, rounded per officer-month. Nothing here reads or writes a store: `store.pay_settings`
keeps a `PaySettings` as JSON (`to_dict()` / `from_dict()`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from babel.numbers import format_decimal

from tpsdesk.i18n import N_, _, number_locale

FORMAT_VERSION = 1
MAX_RUPIAH = Decimal("1000000000")  # a monthly wage basis above Rp1 billion is a typo
MAX_PERCENT = Decimal("10")  # JKK is 0.24 % to 1.74 % by risk class; JKM 0.30 %
DEFAULT_JKK_PERCENT = Decimal("0.24")
DEFAULT_JKM_PERCENT = Decimal("0.30")

# Honoraria per month for Pilkada 2024 (DOMAIN.md); other posts have none until set.
DEFAULT_HONORARIA: Mapping[str, Decimal] = MappingProxyType(
    {
        "kpps_ketua": Decimal("900000"),
        "kpps_anggota": Decimal("850000"),
        "linmas": Decimal("650000"),
        "pps_ketua": Decimal("1500000"),
        "ppk_ketua": Decimal("2500000"),
    }
)


class WageBasis(StrEnum):
    UMP = "ump"  # provincial minimum wage: one amount for everyone
    UMK = "umk"  # city/regency minimum wage: one amount for everyone
    HONORARIUM = "honorarium"  # the post's honorarium
    AMOUNT = "amount"  # any other fixed amount for everyone


class Rounding(StrEnum):
    """How one officer's contribution for one month is rounded (before multiplying)."""

    RUPIAH = "rupiah"  # to the nearest whole rupiah, half up: 11,692.32 → 11,692
    UP_100 = "up_100"  # up to the next multiple of Rp100: 11,692.32 → 11,700
    UP_1000 = "up_1000"  # up to the next multiple of Rp1,000: 11,692.32 → 12,000


BASIS_LABELS: Mapping[WageBasis, str] = MappingProxyType(
    {
        WageBasis.UMP: N_("UMP (provincial minimum wage)"),
        WageBasis.UMK: N_("UMK (city/regency minimum wage)"),
        WageBasis.HONORARIUM: N_("honorarium of the post"),
        WageBasis.AMOUNT: N_("fixed amount"),
    }
)
ROUNDING_LABELS: Mapping[Rounding, str] = MappingProxyType(
    {
        Rounding.RUPIAH: N_("to the nearest rupiah per officer-month"),
        Rounding.UP_100: N_("up to Rp100 per officer-month"),
        Rounding.UP_1000: N_("up to Rp1,000 per officer-month"),
    }
)

_KEYS = ("version", "basis", "amount", "label", "honoraria", "jkk_percent", "jkm_percent",
         "rounding")  # fmt: skip


def _freeze(honoraria: Mapping[str, Decimal]) -> Mapping[str, Decimal]:
    return MappingProxyType(dict(honoraria))


@dataclass(frozen=True)
class PaySettings:
    """What the district pays on: printed on every export.

    `amount` is the wage basis for UMP, UMK and a fixed amount (None: not set yet); `label`
    says what it is ("UMP Jawa Timur 2024"). `honoraria` are per post code; a post without
    one has no wage under the honorarium basis — it is reported, never taken as zero.
    """

    basis: WageBasis = WageBasis.HONORARIUM
    amount: Decimal | None = None
    label: str = ""
    honoraria: Mapping[str, Decimal] = field(default_factory=lambda: DEFAULT_HONORARIA)
    jkk_percent: Decimal = DEFAULT_JKK_PERCENT
    jkm_percent: Decimal = DEFAULT_JKM_PERCENT
    rounding: Rounding = Rounding.RUPIAH

    def __post_init__(self) -> None:
        object.__setattr__(self, "honoraria", _freeze(self.honoraria))

    @property
    def rate_percent(self) -> Decimal:
        """JKK + JKM, in percent of the wage basis per month."""
        return self.jkk_percent + self.jkm_percent

    def wage_for(self, post_code: str) -> Decimal | None:
        """The monthly wage basis of an officer in this post; None when it is not set."""
        if self.basis is WageBasis.HONORARIUM:
            return self.honoraria.get(post_code)
        return self.amount

    def wage_problem(self, post_code: str, post_name: str | None = None) -> str | None:
        """Why `wage_for(post_code)` is None (translated), or None when there is a wage."""
        if self.wage_for(post_code) is not None:
            return None
        if self.basis is WageBasis.HONORARIUM:
            return _("No honorarium is set for the post {post}").format(post=post_name or post_code)
        return _("The wage basis amount ({basis}) is not set").format(
            basis=_(BASIS_LABELS[self.basis])
        )

    def contribution_per_month(self, post_code: str) -> Decimal | None:
        """JKK + JKM for one officer for one month, rounded; None when there is no wage."""
        wage = self.wage_for(post_code)
        if wage is None:
            return None
        return round_contribution(wage * self.rate_percent / 100, self.rounding)

    def with_honorarium(self, post_code: str, amount: Decimal | None) -> PaySettings:
        """A copy with one post's honorarium set (or removed with None)."""
        honoraria = dict(self.honoraria)
        if amount is None:
            honoraria.pop(post_code, None)
        else:
            honoraria[post_code] = _rupiah(amount, "honoraria." + post_code)
        return replace(self, honoraria=honoraria)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (amounts and percents as decimal text, so nothing is lost to floats)."""
        return {
            "version": FORMAT_VERSION,
            "basis": self.basis.value,
            "amount": None if self.amount is None else str(self.amount),
            "label": self.label,
            "honoraria": {code: str(value) for code, value in sorted(self.honoraria.items())},
            "jkk_percent": str(self.jkk_percent),
            "jkm_percent": str(self.jkm_percent),
            "rounding": self.rounding.value,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> PaySettings:
        """Read what `to_dict()` wrote; missing keys take their defaults.

        Raises ValueError with a translated message naming the bad key.
        """
        if not isinstance(data, Mapping):
            raise ValueError(_("Pay settings must be a mapping of keys to values"))
        unknown = sorted(str(key) for key in data if key not in _KEYS)
        if unknown:
            raise ValueError(_("Pay settings: unknown key {key}").format(key=", ".join(unknown)))
        version = data.get("version", FORMAT_VERSION)
        if version != FORMAT_VERSION:
            raise ValueError(
                _("Pay settings format {version} is not supported").format(version=version)
            )
        defaults = cls()
        try:
            basis = WageBasis(data.get("basis", defaults.basis.value))
        except ValueError:
            raise ValueError(
                _("Pay settings: basis must be one of {choices}").format(
                    choices=", ".join(b.value for b in WageBasis)
                )
            ) from None
        try:
            rounding = Rounding(data.get("rounding", defaults.rounding.value))
        except ValueError:
            raise ValueError(
                _("Pay settings: rounding must be one of {choices}").format(
                    choices=", ".join(r.value for r in Rounding)
                )
            ) from None
        raw_amount = data.get("amount")
        amount = None if raw_amount is None else _rupiah(raw_amount, "amount")
        label = data.get("label", "")
        if not isinstance(label, str) or len(label) > 100:
            raise ValueError(
                _("Pay settings: {key} must be a text of at most 100 characters").format(
                    key="label"
                )
            )
        raw_honoraria = data.get("honoraria", None)
        if raw_honoraria is None:
            honoraria: Mapping[str, Decimal] = defaults.honoraria
        elif not isinstance(raw_honoraria, Mapping):
            raise ValueError(
                _("Pay settings: {key} must map post codes to amounts").format(key="honoraria")
            )
        else:
            honoraria = {
                str(code): _rupiah(value, f"honoraria.{code}")
                for code, value in raw_honoraria.items()
            }
        return cls(
            basis=basis,
            amount=amount,
            label=label.strip(),
            honoraria=honoraria,
            jkk_percent=_percent(data.get("jkk_percent", defaults.jkk_percent), "jkk_percent"),
            jkm_percent=_percent(data.get("jkm_percent", defaults.jkm_percent), "jkm_percent"),
            rounding=rounding,
        )

    def describe(self, post_names: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
        """(label, value) lines, translated, for printing the settings on an export;
        `post_names` ({code: name}) names the posts of the honoraria."""
        names = post_names or {}
        if self.basis is WageBasis.HONORARIUM:
            basis_value = _(BASIS_LABELS[self.basis])
        else:
            amount = format_rupiah(self.amount) if self.amount is not None else _("not set")
            basis_value = f"{_(BASIS_LABELS[self.basis])}: {amount}"
            if self.label:
                basis_value += f" ({self.label})"
        lines = [
            (_("Wage basis"), basis_value),
            (_("JKK rate"), format_percent(self.jkk_percent)),
            (_("JKM rate"), format_percent(self.jkm_percent)),
            (_("JKK + JKM"), format_percent(self.rate_percent)),
            (_("Rounding"), _(ROUNDING_LABELS[self.rounding])),
        ]
        if self.basis is WageBasis.HONORARIUM:
            for code, value in sorted(self.honoraria.items()):
                lines.append(
                    (
                        _("Honorarium {post}").format(post=names.get(code, code)),
                        format_rupiah(value),
                    )
                )
        return lines


def round_contribution(value: Decimal, rounding: Rounding) -> Decimal:
    """Round one officer-month contribution as `rounding` says (see `Rounding`)."""
    if rounding is Rounding.UP_100:
        step = Decimal(100)
    elif rounding is Rounding.UP_1000:
        step = Decimal(1000)
    else:
        return value.quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return (value / step).to_integral_value(rounding=ROUND_CEILING) * step


def parse_decimal(raw: object, *, grouping: bool = True) -> Decimal | None:
    """A number as people type it, or None when it is not one.

    With `grouping` (amounts in rupiah) thousands separators are read as Indonesian or English
    write them: "2.165.244,30", "2,165,244.30", "1.500.000", "Rp900.000". Without it
    (percentages) "0,24" and "0.24" are the same number and nothing is a separator. Integers
    and Decimals pass; floats and booleans are refused (floats lose cents).
    """
    if isinstance(raw, bool | float):
        return None
    if isinstance(raw, int | Decimal):
        value = Decimal(raw)
        return value if value.is_finite() else None
    if not isinstance(raw, str):
        return None
    text = raw.strip().replace(" ", "").replace("_", "")
    for prefix in ("Rp.", "Rp", "rp.", "rp", "IDR"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
            break
    text = text.removesuffix("%")
    if not grouping:
        text = text.replace(",", ".")
    elif "," in text and "." in text:
        # The last separator is the decimal one: 2.165.244,30 or 2,165,244.30.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(".") > 1 or (text.count(".") == 1 and len(text.split(".")[1]) == 3):
        text = text.replace(".", "")  # 1.500.000 or 900.000: rupiah have no thousandths
    elif text.count(",") > 1 or (text.count(",") == 1 and len(text.split(",")[1]) == 3):
        text = text.replace(",", "")
    else:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _strict(raw: object) -> Decimal | None:
    """A number as `to_dict()` writes it: decimal text with a dot, or an int."""
    if isinstance(raw, str):
        try:
            value = Decimal(raw.strip())
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    return parse_decimal(raw)


def _rupiah(raw: object, key: str) -> Decimal:
    value = _strict(raw)
    if (
        value is None
        or value <= 0
        or value > MAX_RUPIAH
        or value != value.quantize(Decimal("0.01"))
    ):
        raise ValueError(
            _(
                "Pay settings: {key} must be an amount in rupiah above 0 and at most "
                "1,000,000,000, with at most two decimals"
            ).format(key=key)
        )
    return value


def _percent(raw: object, key: str) -> Decimal:
    value = _strict(raw)
    if value is None or value < 0 or value > MAX_PERCENT:
        raise ValueError(
            _("Pay settings: {key} must be a percentage from 0 to 10, e.g. 0.24").format(key=key)
        )
    return value


def _locale() -> str:
    return number_locale()


def format_rupiah(amount: Decimal) -> str:
    """Rp2.165.244,30 (Indonesian) or Rp2,165,244.30 (English); whole amounts without sen."""
    pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
    return "Rp" + format_decimal(amount, format=pattern, locale=_locale())


def format_percent(value: Decimal) -> str:
    return format_decimal(value, format="0.00##", locale=_locale()) + " %"
