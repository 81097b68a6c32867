"""A small area and officers for the export tests (synthetic NIKs)."""

from __future__ import annotations

import random
from datetime import date

from tpsdesk.domain.nik import synthetic_nik
from tpsdesk.domain.officer import OfficerDraft, validate_officer
from tpsdesk.domain.problems import Sex
from tpsdesk.store.areas import AreaRow, apply_area_rows, list_tps
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer, OfficerStatus
from tpsdesk.store.officers import add_officer

TODAY = date(2024, 10, 1)
KEC = "35.73.05"
KEL = "35.73.05.1001"
KEL2 = "35.73.05.1002"


def make_area(store: Store) -> dict[int, str]:
    """Kecamatan Lowokwaru, kelurahan Dinoyo (TPS 1, 2) and Jatimulyo (TPS 1): {n: tps id}."""
    apply_area_rows(
        store,
        [
            AreaRow(KEC, "Lowokwaru", KEL, "Dinoyo", 1, "Jl. MT Haryono"),
            AreaRow(KEC, "Lowokwaru", KEL, "Dinoyo", 2, "Jl. Gajayana"),
            AreaRow(KEC, "Lowokwaru", KEL2, "Jatimulyo", 1, "Jl. Kendalsari"),
        ],
    )
    tps = {t.number: t.id for t in list_tps(store, KEL)}
    tps[3] = next(t.id for t in list_tps(store, KEL2))
    return tps


def add(
    store: Store,
    post: str = "kpps_anggota",
    *,
    tps_id: str | None = None,
    kelurahan_code: str | None = None,
    kecamatan_code: str | None = None,
    seed: int = 1,
    born: date = date(1985, 3, 9),
    sex: Sex = Sex.FEMALE,
    name: str = "SITI RAHAYU",
    status: OfficerStatus = OfficerStatus.READY,
    duty: tuple[str, str] = ("", ""),
    **extra: str,
) -> Officer:
    nik = synthetic_nik(random.Random(seed), region=KEC, birth_date=born, sex=sex)
    draft = OfficerDraft(
        nik=nik,
        name=name,
        birth_place="Malang",
        birth_date=f"{born.day:02d}-{born.month:02d}-{born.year}",
        sex=sex.value,
        address="Jl. Ijen No. 5",
        postcode="65145",
        phone="081234567890",
        post_code=post,
        duty_start=duty[0],
        duty_end=duty[1],
        **extra,
    )
    result = validate_officer(draft, catalogue=store.catalogue, today=TODAY)
    assert result.fields is not None, result.problems
    return add_officer(
        store,
        result.fields,
        tps_id=tps_id,
        kelurahan_code=kelurahan_code,
        kecamatan_code=kecamatan_code,
        status=status,
    )
