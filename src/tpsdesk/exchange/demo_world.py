"""A whole sample world for the district desk: an area, enrolled laptops, bundles waiting
and findings of every kind, built in one call with the real setup, enrolment, bundle and
merge functions (`tpsdesk demo --district`).

The laptops are real field stores in a folder beside the district store, opened with the
district's passphrase. Everything is synthetic (see `exchange.demo`).
"""

from __future__ import annotations

import hashlib
import os
import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from tpsdesk.domain.nik import synthetic_nik
from tpsdesk.domain.officer import OfficerFields
from tpsdesk.domain.problems import Sex
from tpsdesk.exchange.demo import fill_demo, sample_area_rows
from tpsdesk.i18n import _
from tpsdesk.paths import STORE_FILENAME
from tpsdesk.store import areas, officers
from tpsdesk.store.areas import AreaRow, apply_area_rows
from tpsdesk.store.db import Store
from tpsdesk.store.models import Kecamatan, Officer, Tps
from tpsdesk.store.vault import KdfParams
from tpsdesk.store.versioning import set_meta
from tpsdesk.sync import district
from tpsdesk.sync.bundle import export_bundle, merge_released, read_bundle_file, receive_bundle
from tpsdesk.sync.changes import META_ACKED_SEQ, acked_seqs
from tpsdesk.sync.district_models import Device, Finding, ensure_district_tables
from tpsdesk.sync.identity import (
    district_settings,
    ensure_device_identity,
    ensure_district_identity,
    set_district_settings,
)
from tpsdesk.sync.setup import build_setup_file, enroll

DISTRICT_NAME = "Kota Contoh"
DISTRICT_CODE = "35.73"
WORLD_SEED = 2024
KELURAHAN_PER_KECAMATAN = (4, 5, 6, 5, 4)  # 24 kelurahan
TPS_PER_KELURAHAN = (9, 10, 11, 12)
WORLD_FOLDER = "demo-world"
INBOX = "inbox"
MERGED = "merged"


class WorldRefused(Exception):
    """The district store is not a new, empty district store (the message says why)."""


@dataclass(frozen=True)
class WorldLaptop:
    name: str
    store_path: Path
    kelurahan_code: str
    kelurahan_name: str
    fingerprint: str
    officers: int
    state: str  # "approved" or "pending"


@dataclass
class WorldSummary:
    folder: Path
    inbox: Path
    kecamatan: int
    kelurahan: int
    tps: int
    district_name: str
    district_code: str
    laptops: list[WorldLaptop] = field(default_factory=list)
    inbox_files: list[Path] = field(default_factory=list)
    quarantined: int = 0
    merged: int = 0
    findings: dict[str, int] = field(default_factory=dict)
    district_set: bool = False


def world_area_rows(seed: int = WORLD_SEED) -> list[AreaRow]:
    """5 kecamatan × 4–6 kelurahan × 9–12 TPS, drawn from the sample Kota Malang area."""
    rng = random.Random(seed)
    by_kelurahan: dict[str, list[AreaRow]] = {}
    for row in sample_area_rows(6 * 5 * 20, seed=seed):  # six kelurahan in each kecamatan
        by_kelurahan.setdefault(row.kelurahan_code, []).append(row)
    per_kecamatan: Counter[str] = Counter()
    wanted = dict(zip(sorted({r.kecamatan_code for rows in by_kelurahan.values() for r in rows}),
                      KELURAHAN_PER_KECAMATAN, strict=False))  # fmt: skip
    chosen: list[AreaRow] = []
    for code in sorted(by_kelurahan):
        rows = by_kelurahan[code]
        kecamatan = rows[0].kecamatan_code
        if per_kecamatan[kecamatan] >= wanted.get(kecamatan, 0):
            continue
        per_kecamatan[kecamatan] += 1
        chosen.extend(rows[: rng.choice(TPS_PER_KELURAHAN)])
    return chosen


def _is_empty(store: Store) -> bool:
    with store.read() as session:
        for model in (Kecamatan, Tps, Officer, Device):
            if session.execute(sa_select(func.count()).select_from(model)).scalar_one():
                return False
    return True


def _seed(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def _fields_of(row: Officer, **changes: object) -> OfficerFields:
    values = {
        "nik": row.nik,
        "name": row.name,
        "birth_place": row.birth_place,
        "birth_date": row.birth_date,
        "sex": Sex(row.sex),
        "address": row.address,
        "postcode": row.postcode,
        "phone": row.phone,
        "email": row.email,
        "mother_name": row.mother_name,
        "marital_status": row.marital_status,
        "post_code": row.post_code,
        "duty_start": row.duty_start,
        "duty_end": row.duty_end,
    }
    values.update(changes)
    return OfficerFields(**values)  # type: ignore[arg-type]


def _live_officers(store: Store) -> list[Officer]:
    with store.read() as session:
        rows = session.exec(
            select(Officer).where(col(Officer.deleted).is_(False)).order_by(col(Officer.id))
        ).all()
        for row in rows:
            session.expunge(row)
        return list(rows)


def _free_tps_number(store: Store, kelurahan_code: str) -> int:
    with store.read() as session:
        numbers = session.exec(select(Tps.number).where(Tps.kelurahan_code == kelurahan_code))
        return max(numbers.all(), default=0) + 1


def build_world(
    district_store: Store,
    passphrase: str,
    folder: Path,
    *,
    laptops: int = 4,
    kdf: KdfParams | None = None,
) -> WorldSummary:
    """Build the sample world around a new, empty district store.

    Laptop 1 and 2 share a kelurahan (a duplicate TPS; laptop 1 also brings a duplicate NIK, a
    likely duplicate and a conflict with an edit made at the district); laptop 3's first
    bundle stays in the inbox while its second is merged (a sequence gap), and an older copy
    of its store, put back and typed into, sends a bundle refused as a rollback; laptop 4 is
    not approved (its bundle waits in quarantine). Each laptop leaves a bundle in the inbox.
    Raises WorldRefused on a field store or a district store that holds data."""
    if district_store.role != "district":
        raise WorldRefused(
            _("A sample world is built around a district store; this is a field store.")
        )
    ensure_district_tables(district_store)
    if not _is_empty(district_store):
        raise WorldRefused(
            _(
                "This district store already holds data: a sample world needs a new one "
                "(`tpsdesk init --district` in another file)."
            )
        )
    laptops = max(4, laptops)
    for index in range(1, laptops + 1):
        path = folder / f"laptop-{index}" / STORE_FILENAME
        if os.path.lexists(path):
            raise WorldRefused(
                _("{path} exists already: choose another folder.").format(path=str(path))
            )
    ensure_district_identity(district_store)
    settings = district_settings(district_store)
    district_set = settings is None
    if settings is None:
        set_district_settings(district_store, name=DISTRICT_NAME, code=DISTRICT_CODE)
        settings = district_settings(district_store)
        assert settings is not None
    rows = [r for r in world_area_rows() if r.kecamatan_code.startswith(settings.code + ".")]
    if not rows:  # another district code: the same area under it
        rows = [
            AreaRow(
                kecamatan_code=settings.code + r.kecamatan_code[5:],
                kecamatan_name=r.kecamatan_name,
                kelurahan_code=settings.code + r.kelurahan_code[5:],
                kelurahan_name=r.kelurahan_name,
                tps_number=r.tps_number,
                tps_address=r.tps_address,
                tps_voters=r.tps_voters,
            )
            for r in world_area_rows()
        ]
    apply_area_rows(district_store, rows)
    kelurahan = sorted({(r.kelurahan_code, r.kelurahan_name) for r in rows})
    kecamatan = sorted({r.kecamatan_code for r in rows})
    # Laptop 1 and 2 share the first kelurahan; the others each get one of another kecamatan.
    places = [kelurahan[0], kelurahan[0]]
    others = [k for k in kelurahan if not k[0].startswith(kelurahan[0][0][:8])]
    step = max(1, len(others) // (laptops - 1))
    places += [others[(i * step) % len(others)] for i in range(laptops - 2)]

    folder.mkdir(parents=True, exist_ok=True)
    inbox = folder / INBOX
    merged_dir = folder / MERGED
    summary = WorldSummary(
        folder=folder,
        inbox=inbox,
        kecamatan=len(kecamatan),
        kelurahan=len(kelurahan),
        tps=len(rows),
        district_name=settings.name,
        district_code=settings.code,
        district_set=district_set,
    )
    stores: list[Store] = []
    fingerprints: list[str] = []
    try:
        for index, (code, _name) in enumerate(places, 1):
            path = folder / f"laptop-{index}" / STORE_FILENAME
            setup = build_setup_file(district_store, code)
            laptop, _key = Store.create(
                path, passphrase, role="field", operator=f"laptop-{index}", kdf=kdf
            )
            stores.append(laptop)
            enroll(laptop, setup, confirm_fingerprint=lambda _fp: True)
            fill_demo(laptop, 6 + 2 * index, rng_seed=_seed(f"{code}/{index}"))
            fingerprints.append(ensure_device_identity(laptop).fingerprint)

        def merge(store: Store, target: Path = merged_dir) -> None:
            exported = export_bundle(store, target)
            data = read_bundle_file(exported.path)
            outcome = receive_bundle(district_store, data, file=exported.path.name)
            if outcome.status == "quarantined":
                district.approve(district_store, outcome.fingerprint)
                merge_released(district_store, outcome.device_id)
            summary.merged += 1

        one, two, three, four = stores[:4]
        kel_one = places[0][0]
        # Laptop 2 comes first, with an extra TPS its kelurahan did not have.
        extra_tps = _free_tps_number(two, kel_one)
        areas.add_tps(two, kel_one, extra_tps, address="Balai RW 03")
        merge(two)
        # Laptop 1's first bundle; then the district edits one of its officers.
        merge(one)
        first_of_one = _live_officers(one)[0]
        with district_store.read() as session:
            at_district = session.get(Officer, first_of_one.id)
            assert at_district is not None
            session.expunge(at_district)
        officers.update_officer(
            district_store, at_district.id, _fields_of(at_district, phone="081234567890")
        )
        # Meanwhile laptop 1 edits the same officer, adds the same TPS number as laptop 2 and
        # types two people laptop 2 has (one with the same NIK, one with a different NIK).
        officers.update_officer(
            one, first_of_one.id, _fields_of(first_of_one, phone="085700011122")
        )
        areas.add_tps(one, kel_one, extra_tps, address="Balai RW 03")
        theirs = [o for o in _live_officers(two) if o.tps_id is not None][:2]
        spot = next(
            o for o in _live_officers(one) if o.tps_id is not None and o is not first_of_one
        )
        rng = random.Random(WORLD_SEED)
        same_nik, same_person = theirs
        officers.add_officer(
            one, _fields_of(same_nik, post_code=spot.post_code), tps_id=spot.tps_id
        )
        other_nik = synthetic_nik(
            rng, region=same_person.kecamatan_code, birth_date=same_person.birth_date,
            sex=Sex(same_person.sex),
        )  # fmt: skip
        officers.add_officer(
            one,
            _fields_of(same_person, nik=other_nik, post_code=spot.post_code),
            tps_id=spot.tps_id,
        )
        merge(one)
        # Laptop 3: its first bundle goes to the inbox, its second is merged (a gap).
        # Bundles carry everything not yet acknowledged, so the laptop is told its first
        # bundle arrived, as a receipt from a district store later restored from a backup
        # would have told it.
        first_of_three = export_bundle(three, inbox)
        with three.transaction() as session:
            acked = acked_seqs(session)
            acked[three.device_id] = first_of_three.seq_to
            set_meta(session, META_ACKED_SEQ, acked)
        # Laptop 3's store as it is now, put back later (a rollback, below).
        older_copy = three.path.read_bytes()
        fill_demo(three, 3, rng_seed=_seed("three-again"))
        merge(three)
        # The older copy is put back in place and typed into: it reuses change numbers the
        # district already holds for other officers, and its bundle is refused as a rollback.
        three.close()
        three.path.write_bytes(older_copy)
        three = Store.open(three.path, passphrase)
        stores[2] = three
        fill_demo(three, 2, rng_seed=_seed("three-restored"))
        exported = export_bundle(three, merged_dir)
        receive_bundle(district_store, read_bundle_file(exported.path), file=exported.path.name)
        # Laptop 4 is never approved: its bundle waits in quarantine.
        exported = export_bundle(four, merged_dir)
        outcome = receive_bundle(district_store, read_bundle_file(exported.path),
                                 file=exported.path.name)  # fmt: skip
        summary.quarantined += outcome.status == "quarantined"
        # More work on every laptop, waiting in the inbox.
        for index, laptop in enumerate(stores, 1):
            if laptop is three:
                continue
            fill_demo(laptop, 2, rng_seed=_seed(f"later/{index}"))
            export_bundle(laptop, inbox)

        for index, (code, name) in enumerate(places):
            summary.laptops.append(
                WorldLaptop(
                    name=f"laptop-{index + 1}",
                    store_path=stores[index].path,
                    kelurahan_code=code,
                    kelurahan_name=name,
                    fingerprint=fingerprints[index],
                    officers=officers.count_officers(stores[index]),
                    state="pending" if stores[index] is four else "approved",
                )
            )
    finally:
        for laptop in stores:
            laptop.close()
    summary.inbox_files = sorted(inbox.glob("*.tpsb"))
    with district_store.read() as session:
        kinds = session.exec(select(Finding.kind)).all()
    summary.findings = dict(Counter(kinds))
    return summary
