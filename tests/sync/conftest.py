"""Shared fixtures of the sync tests."""

from __future__ import annotations

# -- merge engine (changes, district, merge) -------------------------------------------------
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.factories import BACKENDS, FAST_KDF, backend_url, new_store

from tpsdesk.domain.nik import synthetic_nik
from tpsdesk.domain.problems import Sex
from tpsdesk.store import areas
from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync import district
from tpsdesk.sync.changes import row_to_wire
from tpsdesk.sync.district_models import ensure_district_tables
from tpsdesk.sync.merge import IncomingBundle

MERGE_KDF = FAST_KDF
MERGE_PASSPHRASE = "kata sandi yang cukup panjang"
M_KEC = "35.73.05"
M_KEL_A = "35.73.05.1001"
M_KEL_B = "35.73.05.1002"


def make_store(path: Path, role: str, database_url: str | None = None) -> Store:
    return new_store(path, passphrase=MERGE_PASSPHRASE, role=role, database_url=database_url)


def load_area(store: Store) -> dict[str, str]:
    """One kecamatan, kelurahan A (TPS 1, 2) and B (TPS 1); returns TPS ids by name."""
    areas.add_kecamatan(store, M_KEC, "Lowokwaru")
    areas.add_kelurahan(store, M_KEL_A, "Tunggulwulung", M_KEC)
    areas.add_kelurahan(store, M_KEL_B, "Tlogomas", M_KEC)
    return {
        "a1": areas.add_tps(store, M_KEL_A, 1, "Jl. Mawar 1").id,
        "a2": areas.add_tps(store, M_KEL_A, 2, "Jl. Melati 2").id,
        "b1": areas.add_tps(store, M_KEL_B, 1, "Jl. Kenanga 1").id,
    }


@pytest.fixture(params=BACKENDS)
def district_store(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    """A district store, on SQLite and (marked postgres) on PostgreSQL."""
    store = make_store(tmp_path / "district" / "tpsdesk.store", "district", backend_url(request))
    ensure_district_tables(store)
    yield store
    store.close()


@pytest.fixture
def district_area(district_store: Store) -> dict[str, str]:
    return load_area(district_store)


def issue_setup(store: Store, area: str) -> str:
    """Record that the district issued a setup file for `area` (as `build_setup_file` does,
    without building one); returns its file id."""
    from tpsdesk.store.versioning import get_meta, set_meta
    from tpsdesk.sync.setup import META_SETUP_ISSUED

    file_id = str(uuid.uuid4())
    with store.transaction() as session:
        issued = dict(get_meta(session, META_SETUP_ISSUED, {}) or {})
        issued[file_id] = {"version": len(issued) + 1, "area": area, "target": "all",
                           "created_at": "2024-10-01T00:00:00+00:00",
                           "expires_at": "2025-10-01T00:00:00+00:00"}  # fmt: skip
        set_meta(session, META_SETUP_ISSUED, issued)
    return file_id


def approved_laptop(store: Store, area: str = M_KEL_A) -> tuple[str, bytes]:
    """Register and approve a laptop enrolled with a setup file issued for `area`; returns
    (device id, raw signing key)."""
    device_id = uuid.uuid4().hex
    key = random.Random(device_id).randbytes(32)
    device = district.register_pending(
        store, device_id=device_id, signing_key=key, area=area, setup_id=issue_setup(store, area)
    )
    district.approve(store, device.fingerprint)
    return device_id, key


_serials = iter(range(1, 10**6))


def valid_nik(birth: date = date(1985, 3, 14), sex: Sex = Sex.MALE, serial: int = 0) -> str:
    return synthetic_nik(
        random.Random(0),
        region=M_KEC,
        birth_date=birth,
        sex=sex,
        serial=serial or next(_serials) % 9999 + 1,
    )


def officer_row(
    *,
    device: str,
    counter: int,
    tps_id: str,
    row_id: str | None = None,
    base: tuple[str, int] | None = None,
    deleted: bool = False,
    nik: str | None = None,
    name: str = "BUDI SANTOSO",
    birth: date = date(1985, 3, 14),
    kelurahan: str = M_KEL_A,
    seq: int = 1,
    **overrides: Any,
) -> dict[str, Any]:
    """An officer row on the wire (a KPPS member at a TPS), valid unless overridden."""
    officer = Officer(
        id=row_id or str(uuid.uuid4()),
        version_device=device,
        version_counter=counter,
        base_device=base[0] if base else None,
        base_counter=base[1] if base else None,
        deleted=deleted,
        updated_at=datetime(2024, 10, 1, 8, 0, tzinfo=UTC),
        updated_by="Bu Sri",
        nik=nik or valid_nik(birth),
        name=name,
        birth_place="MALANG",
        birth_date=birth,
        sex="L",
        address="Jl. Mawar 1",
        postcode="65141",
        phone="081234567890",
        post_code="kpps_anggota",
        tps_id=tps_id,
        kelurahan_code=kelurahan,
        kecamatan_code=M_KEC,
        duty_start=date(2024, 11, 7),
        duty_end=date(2024, 12, 8),
        status="ready",
    )
    row = row_to_wire(officer, seq)
    row["values"].update(overrides)
    return row


BundleFactory = Callable[..., IncomingBundle]


def make_bundle(
    device_id: str,
    key: bytes,
    rows: list[dict[str, Any]],
    *,
    seq_from: int = 1,
    seq_to: int | None = None,
    area: str = M_KEL_A,
    file_id: str | None = None,
) -> IncomingBundle:
    return IncomingBundle(
        file_id=file_id or str(uuid.uuid4()),
        sender_id=device_id,
        sender_key=key,
        area=area,
        seq_from=seq_from,
        seq_to=seq_to if seq_to is not None else max(seq_from - 1 + len(rows), seq_from - 1),
        rows=rows,
    )
