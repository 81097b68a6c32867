"""Synthetic sample data: a Kota Malang area and officers with structurally valid NIKs.

For trying the app and for benchmarks. Everything is drawn from one seeded random generator,
so a seed gives the same people every time. No real person's data is used: names are drawn
from common Indonesian given names, NIKs from `domain.nik.synthetic_nik`.
"""

from __future__ import annotations

import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from tpsdesk.domain.nik import synthetic_nik
from tpsdesk.domain.posts import Post, PostCatalogue, Unit
from tpsdesk.domain.problems import Sex
from tpsdesk.store.area_scope import enrolled_area, within
from tpsdesk.store.areas import AreaRow, apply_area_rows
from tpsdesk.store.db import Store
from tpsdesk.store.models import Action, Kecamatan, Kelurahan, Officer, OfficerStatus, Tps
from tpsdesk.store.versioning import RowChange, stamp_rows

DEFAULT_SEED = 2024
MAX_OFFICERS = 1_000_000
TPS_PER_KELURAHAN = 20  # Kota Malang: 1,188 TPS in 57 kelurahan
FILL_RATIO = 0.95  # the sample area has room for a few more officers than asked for
INCOMPLETE_UNIT_SHARE = 0.12  # units left a few officers short, for the dashboard
INSERT_BATCH = 5_000
PROGRESS_EVERY = 5_000

CITY_CODE = "35.73"
CITY_NAME = "Kota Malang"
# Kota Malang's five kecamatan and their kelurahan (names as in Kemendagri's list; the
# kelurahan numbering here is sequential, not the official one).
KECAMATAN: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("35.73.01", "Kedungkandang", (
        "Arjowinangun", "Bumiayu", "Buring", "Cemorokandang", "Kedungkandang", "Kotalama",
        "Lesanpuro", "Madyopuro", "Mergosono", "Sawojajar", "Tlogowaru", "Wonokoyo",
    )),
    ("35.73.02", "Sukun", (
        "Bakalan Krajan", "Bandulan", "Bandungrejosari", "Ciptomulyo", "Gadang",
        "Karang Besuki", "Kebonsari", "Mulyorejo", "Pisang Candi", "Sukun", "Tanjungrejo",
    )),
    ("35.73.03", "Klojen", (
        "Bareng", "Gadingkasri", "Kasin", "Kauman", "Kiduldalem", "Klojen", "Oro-oro Dowo",
        "Penanggungan", "Rampal Celaket", "Samaan", "Sukoharjo",
    )),
    ("35.73.04", "Blimbing", (
        "Arjosari", "Balearjosari", "Blimbing", "Bunulrejo", "Jodipan", "Kesatrian",
        "Pandanwangi", "Polehan", "Polowijen", "Purwantoro", "Purwodadi",
    )),
    ("35.73.05", "Lowokwaru", (
        "Dinoyo", "Jatimulyo", "Ketawanggede", "Lowokwaru", "Merjosari", "Mojolangu",
        "Sumbersari", "Tasikmadu", "Tlogomas", "Tulusrejo", "Tunggulwulung", "Tunjungsekar",
    )),
)  # fmt: skip
# More kelurahan than Malang has, for very large samples: plausible Javanese place names.
_PLACE_HEADS = ("Sumber", "Karang", "Tlogo", "Sido", "Wono", "Kebon", "Banyu", "Rejo", "Tegal")
_PLACE_TAILS = ("sari", "mulyo", "rejo", "agung", "asri", "makmur", "harjo", "kerto", "waras")

MALE_NAMES = (
    "Agus", "Ahmad", "Andi", "Arif", "Bambang", "Budi", "Dedi", "Dimas", "Eko", "Fajar",
    "Hadi", "Hendra", "Imam", "Joko", "Muhammad", "Rizki", "Rudi", "Slamet", "Teguh",
    "Wahyu", "Yusuf", "Bayu", "Heru", "Iwan", "Sugeng", "Suparman", "Gilang", "Aditya",
)  # fmt: skip
FEMALE_NAMES = (
    "Sri", "Siti", "Dewi", "Rina", "Wati", "Ani", "Yuni", "Endang", "Lestari", "Nur",
    "Dwi", "Fitri", "Indah", "Ratna", "Rini", "Sari", "Tri", "Wulan", "Ayu", "Putri",
    "Nanik", "Suwarni", "Kartika", "Anisa",
)  # fmt: skip
MIDDLE_NAMES = ("Dwi", "Tri", "Nur", "Eka", "Adi", "Sri", "Budi", "Putra", "Dian")
MALE_FAMILY = (
    "Santoso", "Wibowo", "Saputra", "Setiawan", "Hidayat", "Kurniawan", "Pratama",
    "Nugroho", "Susanto", "Purnomo", "Prasetyo", "Gunawan", "Firmansyah", "Wijaya",
)  # fmt: skip
FEMALE_FAMILY = (
    "Rahayu", "Wulandari", "Lestari", "Handayani", "Kusumawati", "Permatasari",
    "Astuti", "Susanti", "Puspitasari", "Rahmawati", "Safitri", "Ningsih",
)  # fmt: skip
BIRTH_PLACES = (
    "Malang", "Malang", "Malang", "Surabaya", "Blitar", "Kediri", "Pasuruan", "Batu",
    "Probolinggo", "Lumajang", "Jember", "Sidoarjo", "Mojokerto", "Tulungagung",
)  # fmt: skip
STREETS = (
    "Ijen", "Soekarno Hatta", "Veteran", "Kawi", "Semeru", "Bromo", "Merdeka", "Gajayana",
    "MT Haryono", "Sumbersari", "Danau Toba", "Simpang Borobudur", "Raya Tlogomas",
)  # fmt: skip
PHONE_PREFIXES = ("0811", "0812", "0813", "0821", "0822", "0852", "0853", "0856", "0857",
                  "0877", "0878", "0895", "0896", "0838")  # fmt: skip
# Kecamatan where people living in Malang were often born (Kabupaten Malang, Batu, Blitar).
OTHER_BIRTH_REGIONS = ("35.07.01", "35.07.12", "35.07.25", "35.79.01", "35.79.02", "35.05.03")


@dataclass(frozen=True)
class DemoSummary:
    requested: int
    added: int
    area_created: bool
    kecamatan: int
    kelurahan: int
    tps: int

    @property
    def no_room(self) -> int:
        """Officers asked for that did not fit: every post of the area was filled."""
        return self.requested - self.added


@dataclass(frozen=True)
class _Slot:
    post: Post
    tps_id: str | None
    kelurahan_code: str | None
    kecamatan_code: str


# -- the sample area ----------------------------------------------------------------------


def _kelurahan_names() -> list[list[str]]:
    """Per kecamatan, the real names first, then made-up ones (for very large samples)."""
    names = [list(k[2]) for k in KECAMATAN]
    extra = [h + t for h in _PLACE_HEADS for t in _PLACE_TAILS]
    for index, name in enumerate(extra):
        names[index % len(names)].append(name)
    return names


def sample_area_rows(tps_count: int, *, seed: int = DEFAULT_SEED) -> list[AreaRow]:
    """A Kota Malang area with `tps_count` TPS, about TPS_PER_KELURAHAN per kelurahan."""
    rng = random.Random(seed)
    kelurahan_count = max(1, math.ceil(tps_count / TPS_PER_KELURAHAN))
    names = _kelurahan_names()
    # Kelurahan go round the kecamatan, so every kecamatan gets some once there are five.
    places: list[tuple[int, int]] = []  # (kecamatan index, kelurahan index within it)
    per_kecamatan = [0] * len(KECAMATAN)
    for index in range(kelurahan_count):
        k = index % len(KECAMATAN)
        places.append((k, per_kecamatan[k]))
        per_kecamatan[k] += 1
    if max(per_kecamatan) > 999:
        raise ValueError("too many TPS for the sample area")
    rows: list[AreaRow] = []
    for place_index, (k, j) in enumerate(places):
        kec_code, kec_name, _real = KECAMATAN[k]
        pool = names[k]
        name = pool[j] if j < len(pool) else f"{pool[j % len(pool)]} {j // len(pool) + 1}"
        kel_code = f"{kec_code}.{1001 + j:04d}"
        # Spread the TPS evenly over the kelurahan.
        count = tps_count // kelurahan_count + (place_index < tps_count % kelurahan_count)
        for number in range(1, count + 1):
            rows.append(
                AreaRow(
                    kecamatan_code=kec_code,
                    kecamatan_name=kec_name,
                    kelurahan_code=kel_code,
                    kelurahan_name=name,
                    tps_number=number,
                    tps_address=f"Jl. {rng.choice(STREETS)} RT {rng.randint(1, 12):02d}/RW "
                    f"{rng.randint(1, 9):02d}",
                    tps_voters=rng.randint(180, 480),
                )
            )
    return rows


def _capacity(rows: list[AreaRow], catalogue: PostCatalogue) -> int:
    kecamatan = {r.kecamatan_code for r in rows}
    kelurahan = {r.kelurahan_code for r in rows}
    total = len(kecamatan) * sum(catalogue.needed(Unit.KECAMATAN).values())
    total += len(kelurahan) * sum(catalogue.needed(Unit.KELURAHAN).values())
    for row in rows:
        total += sum(catalogue.needed(Unit.TPS, row.tps_voters).values())
    return total


def plan_sample_area(
    officers: int, catalogue: PostCatalogue, *, seed: int = DEFAULT_SEED
) -> list[AreaRow]:
    """The smallest sample area with room for `officers` (and a few spare posts)."""
    per_tps = max(1, sum(catalogue.needed(Unit.TPS).values()))
    tps_count = max(1, int(officers / FILL_RATIO / (per_tps + 1)))
    while True:
        rows = sample_area_rows(tps_count, seed=seed)
        capacity = _capacity(rows, catalogue)
        if capacity * FILL_RATIO >= officers or capacity - officers >= per_tps * 3:
            return rows
        missing = officers / FILL_RATIO - capacity
        tps_count += max(1, int(missing / (per_tps + 1)))


# -- people ---------------------------------------------------------------------------------


class _People:
    """Draws synthetic people; NIKs are unique within the store."""

    def __init__(self, rng: random.Random, today: date, taken_niks: set[str]) -> None:
        self.rng = rng
        self.today = today
        self.niks = taken_niks

    def name(self, sex: Sex) -> str:
        rng = self.rng
        male = sex is Sex.MALE
        parts = [rng.choice(MALE_NAMES if male else FEMALE_NAMES)]
        shape = rng.random()
        if shape < 0.25:
            parts.append(rng.choice(MIDDLE_NAMES))
        if shape < 0.85:
            parts.append(rng.choice(MALE_FAMILY if male else FEMALE_FAMILY))
        return " ".join(parts)

    def birth_date(self, post: Post) -> date:
        """A date of birth that meets the post's age rules on its duty start (or today)."""
        on = min(post.duty_start or self.today, self.today)
        youngest = (post.min_age or 17) + 1
        oldest = max(youngest, (post.max_age_warning or 60) - 1)
        age = self.rng.randint(youngest, oldest)
        latest = _years_before(on, age)
        return latest - timedelta(days=self.rng.randint(0, 360))

    def nik(self, kecamatan_code: str, born: date, sex: Sex) -> str:
        region = kecamatan_code
        if self.rng.random() < 0.2:
            region = self.rng.choice(OTHER_BIRTH_REGIONS)
        while True:
            nik = synthetic_nik(self.rng, region=region, birth_date=born, sex=sex)
            if nik not in self.niks:
                self.niks.add(nik)
                return nik

    def phone(self) -> str | None:
        if self.rng.random() < 0.05:
            return None
        length = self.rng.randint(8, 9)
        digits = "".join(str(self.rng.randint(0, 9)) for _ in range(length))
        return self.rng.choice(PHONE_PREFIXES) + digits

    def address(self) -> str:
        rng = self.rng
        return (
            f"Jl. {rng.choice(STREETS)} No. {rng.randint(1, 150)}, "
            f"RT {rng.randint(1, 12):03d}/RW {rng.randint(1, 9):03d}"
        )

    def values(self, slot: _Slot) -> dict[str, Any]:
        rng = self.rng
        sex = Sex.MALE if rng.random() < 0.6 else Sex.FEMALE
        born = self.birth_date(slot.post)
        return {
            "nik": self.nik(slot.kecamatan_code, born, sex),
            "name": self.name(sex),
            "birth_place": rng.choice(BIRTH_PLACES),
            "birth_date": born,
            "sex": sex.value,
            "address": self.address(),
            "postcode": f"651{rng.randint(41, 49)}",
            "phone": self.phone(),
            "email": None,
            "mother_name": None,
            "marital_status": "Y" if rng.random() < 0.7 else "T",
            "post_code": slot.post.code,
            "duty_start": slot.post.duty_start,
            "duty_end": slot.post.duty_end,
        }


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# -- filling --------------------------------------------------------------------------------


def _slots(
    session: Session, catalogue: PostCatalogue, scope: str | None = None
) -> list[list[_Slot]]:
    """Free posts per unit, in walking order: each kelurahan's TPS, then the kelurahan,
    then, after its last kelurahan, the kecamatan. Posts within a unit in catalogue order.
    With `scope` (an enrolled laptop's area), only the units that lie in it: a kelurahan
    laptop gets no kecamatan post, which the district would refuse."""
    live = col(Officer.deleted).is_(False)
    unit_key = func.coalesce(Officer.tps_id, Officer.kelurahan_code, Officer.kecamatan_code)
    filled: Counter[tuple[str, str]] = Counter()
    for key, post_code, count in session.execute(
        sa_select(unit_key, col(Officer.post_code), func.count())
        .where(live)
        .group_by(unit_key, Officer.post_code)
    ):
        filled[(key, post_code)] = count

    def unit_slots(
        unit: Unit, key: str, voters: int | None, placement: tuple[str | None, str | None, str]
    ) -> list[_Slot]:
        slots: list[_Slot] = []
        for code, needed in catalogue.needed(unit, voters).items():
            post = catalogue.get(code)
            assert post is not None
            slots.extend(_Slot(post, *placement) for _ in range(needed - filled[(key, code)]))
        return slots

    tps_by_kelurahan: dict[str, list[tuple[str, int | None]]] = {}
    for tps_id, kelurahan_code, voters in session.exec(
        select(Tps.id, Tps.kelurahan_code, Tps.voters)
        .where(col(Tps.deleted).is_(False))
        .order_by(col(Tps.kelurahan_code), col(Tps.number))
    ):
        tps_by_kelurahan.setdefault(kelurahan_code, []).append((tps_id, voters))
    by_kecamatan: dict[str, list[str]] = {}
    for code, kecamatan_code in session.exec(
        select(Kelurahan.code, Kelurahan.kecamatan_code)
        .where(col(Kelurahan.deleted).is_(False))
        .order_by(col(Kelurahan.code))
    ):
        by_kecamatan.setdefault(kecamatan_code, []).append(code)
    kecamatan_codes = session.exec(
        select(Kecamatan.code).where(col(Kecamatan.deleted).is_(False)).order_by(Kecamatan.code)
    ).all()

    units: list[list[_Slot]] = []
    for kec in kecamatan_codes:
        for kel in by_kecamatan.get(kec, []):
            if scope is not None and not within(kel, scope):
                continue
            for tps_id, voters in tps_by_kelurahan.get(kel, []):
                units.append(unit_slots(Unit.TPS, tps_id, voters, (tps_id, kel, kec)))
            units.append(unit_slots(Unit.KELURAHAN, kel, None, (None, kel, kec)))
        if scope is None or within(kec, scope):
            units.append(unit_slots(Unit.KECAMATAN, kec, None, (None, None, kec)))
    return [u for u in units if u]


def _choose(units: list[list[_Slot]], officers: int, rng: random.Random) -> list[_Slot]:
    """Fill units in order; some units are left a few officers short (taken only if needed)."""
    chosen: list[_Slot] = []
    spare: list[_Slot] = []
    for slots in units:
        keep = len(slots)
        if len(slots) > 3 and rng.random() < INCOMPLETE_UNIT_SHARE:
            keep -= rng.randint(1, 3)
        chosen.extend(slots[:keep])
        spare.extend(slots[keep:])
        if len(chosen) >= officers:
            return chosen[:officers]
    return chosen + spare[: officers - len(chosen)]


def _insert_officers(session: Session, rows: Iterator[dict[str, Any]]) -> None:
    """Insert new officers, stamped as creations by `versioning.stamp_rows` in batches (a
    version, a change-log entry and an audit entry each, as for any new row)."""
    while batch := list(itertools.islice(rows, INSERT_BATCH)):
        stamp_rows(session, Officer, [RowChange(Action.CREATE, row) for row in batch])


def fill_demo(
    store: Store,
    officers: int,
    *,
    rng_seed: int = DEFAULT_SEED,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoSummary:
    """Add `officers` synthetic officers to the store's area, creating a sample area first
    when the store has none. Everything goes in in one transaction (one save); each new row
    has its version, change-log entry and audit entry like any other new row."""
    if not 0 <= officers <= MAX_OFFICERS:
        raise ValueError(f"officers must be 0..{MAX_OFFICERS}")
    today = today or date.today()
    rng = random.Random(rng_seed)
    catalogue = store.catalogue

    with store.transaction() as session:
        has_area = session.exec(select(Kelurahan.code).where(col(Kelurahan.deleted).is_(False)))
        scope = enrolled_area(session)  # an enrolled laptop: nothing outside its area
        area_rows: list[AreaRow] = []
        if has_area.first() is None:
            area_rows = plan_sample_area(officers, catalogue, seed=rng_seed)
            if scope is not None:
                area_rows = [r for r in area_rows if within(r.kelurahan_code, scope)]
        area_created = bool(area_rows)
        if area_created:
            # Joins this transaction: the area and its officers are saved together.
            apply_area_rows(store, area_rows)
            session.flush()

        plan = _choose(_slots(session, catalogue, scope), officers, rng)
        taken = set(session.exec(select(Officer.nik)).all())
        people = _People(rng, today, taken)

        def rows() -> Iterator[dict[str, Any]]:
            for index, slot in enumerate(plan, 1):
                values = people.values(slot)
                values.update(
                    tps_id=slot.tps_id,
                    kelurahan_code=slot.kelurahan_code,
                    kecamatan_code=slot.kecamatan_code,
                    status=OfficerStatus.READY.value,
                    status_reason="",
                    bpjs_number=None,
                )
                yield values
                if progress is not None and index % PROGRESS_EVERY == 0:
                    progress(index, len(plan))

        _insert_officers(session, rows())
        counts = [
            session.execute(
                sa_select(func.count()).select_from(model).where(col(model.deleted).is_(False))
            ).scalar_one()
            for model in (Kecamatan, Kelurahan, Tps)
        ]
    if progress is not None:
        progress(len(plan), len(plan))
    return DemoSummary(
        requested=officers,
        added=len(plan),
        area_created=area_created,
        kecamatan=counts[0],
        kelurahan=counts[1],
        tps=counts[2],
    )
