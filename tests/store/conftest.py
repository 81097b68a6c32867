"""Real stores in tmp_path, with the real Vault and a fast KDF."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.factories import FAST_KDF

from tpsdesk.domain.nik import synthetic_nik
from tpsdesk.domain.officer import OfficerFields
from tpsdesk.domain.problems import Sex
from tpsdesk.store import areas
from tpsdesk.store.db import Store
from tpsdesk.store.models import Tps
from tpsdesk.store.vault import KdfParams

PASSPHRASE = "kata sandi yang cukup panjang"
KEC = "35.73.05"
KEL_A = "35.73.05.1001"
KEL_B = "35.73.05.1002"


@pytest.fixture
def kdf() -> KdfParams:
    return FAST_KDF


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "desk" / "tpsdesk.store"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    opened, _recovery = Store.create(store_path, PASSPHRASE, operator="Bu Sri", kdf=FAST_KDF)
    yield opened
    opened.close()


@pytest.fixture
def area(store: Store) -> dict[str, Tps]:
    """One kecamatan, two kelurahan; TPS 1–3 in A (TPS 2 with 500 voters), TPS 1 in B."""
    areas.add_kecamatan(store, KEC, "Lowokwaru")
    areas.add_kelurahan(store, KEL_A, "Tunggulwulung", KEC)
    areas.add_kelurahan(store, KEL_B, "Tlogomas", KEC)
    return {
        "a1": areas.add_tps(store, KEL_A, 1, "Jl. Mawar 1"),
        "a2": areas.add_tps(store, KEL_A, 2, "Jl. Melati 2", voters=500),
        "a3": areas.add_tps(store, KEL_A, 3, "Jl. Anggrek 3"),
        "b1": areas.add_tps(store, KEL_B, 1, "Jl. Kenanga 1"),
    }


FieldsFactory = Callable[..., OfficerFields]


@pytest.fixture
def make_fields() -> FieldsFactory:
    """OfficerFields with a synthetic, structurally valid NIK; override any field."""
    rng = random.Random(1234)
    made = iter(range(10**9))

    def build(**overrides: Any) -> OfficerFields:
        n = next(made)
        birth = overrides.pop("birth_date", date(1985, 3, 14) + timedelta(days=n // 9999))
        sex = overrides.pop("sex", Sex.MALE)
        nik = synthetic_nik(rng, region=KEC, birth_date=birth, sex=sex, serial=n % 9999 + 1)
        values: dict[str, Any] = {
            "nik": nik,
            "name": "BUDI SANTOSO",
            "birth_place": "MALANG",
            "birth_date": birth,
            "sex": sex,
            "address": "Jl. Mawar 1",
            "postcode": "65141",
            "phone": "081234567890",
            "email": None,
            "mother_name": None,
            "marital_status": "Y",
            "post_code": "kpps_anggota",
            "duty_start": date(2024, 11, 7),
            "duty_end": date(2024, 12, 8),
        }
        values.update(overrides)
        return OfficerFields(**values)

    return build
