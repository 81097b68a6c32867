"""SVG snapshots of the Findings tab and the side-by-side screen at 80×24, in Indonesian
(update with `pytest --snapshot-update` and look at the images before committing them).

The sample world is built fresh (random ids, today's dates); what the screens show of that is
pinned here: dates, the bundle id, the laptops' labels, and a relative store path."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from tests.ui.conftest import SIZE, make_app, settle
from textual.pilot import Pilot
from textual.widgets import DataTable

from tpsdesk.store.db import Store
from tpsdesk.sync.district_models import FindingKind
from tpsdesk.ui.app import TpsDeskApp

from .test_findings import (  # noqa: F401 (fixtures)
    PASSPHRASE,
    World,
    open_findings,
    world,
    world_template,
)

SnapCompare = Any
BUNDLE = "5e7a01f2-3c4d-4e5f-8a9b-0c1d2e3f4a5b"
PINS = (
    "UPDATE sync_finding SET created_at = '2026-12-03 08:00:00.000000'",
    "UPDATE officer SET updated_at = '2026-12-02 10:00:00.000000'",
    "UPDATE tps SET updated_at = '2026-12-02 10:00:00.000000'",
    'UPDATE sync_row_version SET "values" = json_set("values", \'$.updated_at\', '
    "'2026-12-02T10:00:00+00:00')",
    f"UPDATE sync_row_version SET file_id = '{BUNDLE}' WHERE file_id != ''",
    "UPDATE sync_received_bundle SET received_at = '2026-12-03 07:30:00.000000'",
    "INSERT INTO sync_received_bundle (file_id, device_id, seq_from, seq_to, area, received_at, "
    f"status, reason, report) VALUES ('{BUNDLE}', 'x', 0, 0, '', '2026-12-03 07:30:00.000000', "
    "'merged', '', '{}')",
    "UPDATE sync_device SET label = CASE (SELECT json_extract(v.\"values\", '$.updated_by') "
    "FROM sync_row_version AS v WHERE v.sender_id = sync_device.device_id LIMIT 1) "
    "WHEN 'laptop-1' THEN 'Bu Sri' WHEN 'laptop-2' THEN 'Pak Hadi' ELSE 'Bu Wati' END",
    "UPDATE officer SET updated_by = CASE updated_by WHEN 'laptop-1' THEN 'Sri' "
    "WHEN 'laptop-2' THEN 'Hadi' ELSE updated_by END",
    'UPDATE sync_row_version SET "values" = json_set("values", \'$.updated_by\', CASE '
    "json_extract(\"values\", '$.updated_by') WHEN 'laptop-1' THEN 'Sri' WHEN 'laptop-2' "
    "THEN 'Hadi' ELSE json_extract(\"values\", '$.updated_by') END)",
)


# The people of the findings, whom the world draws by random row ids: pinned by who typed them.
PEOPLE = {
    "conflict": {"nik": "3573011210726696", "name": "Bayu Dwi Kurniawan",
                 "birth_date": "1972-10-12", "birth_place": "Probolinggo"},
    "likely_duplicate": {"name": "Dimas Nur Hidayat", "birth_date": "2005-09-13",
                         "birth_place": "Tulungagung", "phone": "087895591586"},
}  # fmt: skip
COMMON = {"sex": "L", "address": "Jl. Bromo No. 29", "postcode": "65149",
          "marital_status": "T", "post_code": "kpps_anggota", "email": None,
          "mother_name": None, "duty_start": None, "duty_end": None}  # fmt: skip
NIKS = {"Sri": "3573011309057702", "Hadi": "3573011309051607"}


def pin_people(session: Any) -> None:
    connection = session.connection()
    tps = connection.execute(
        text("SELECT id FROM tps WHERE kelurahan_code = '35.73.01.1001' AND number = 1")
    ).scalar_one()
    for kind, fixed in PEOPLE.items():
        rows = connection.execute(
            text("SELECT row_ids FROM sync_finding WHERE kind = :kind"), {"kind": kind}
        ).scalar_one()
        for officer_id in json.loads(rows):
            values = {**COMMON, **fixed, "tps_id": tps}
            if kind == "likely_duplicate":
                typist = connection.execute(
                    text("SELECT updated_by FROM officer WHERE id = :id"), {"id": officer_id}
                ).scalar_one()
                values["nik"] = NIKS[typist]
            for name, value in values.items():
                connection.execute(
                    text(f"UPDATE officer SET {name} = :value WHERE id = :id"),
                    {"value": value, "id": officer_id},
                )
                connection.execute(
                    text(
                        'UPDATE sync_row_version SET "values" = json_set("values", '
                        f"'$.{name}', :value) WHERE row_id = :id"
                    ),
                    {"value": value, "id": officer_id},
                )


@pytest.fixture
def pinned(
    world: World,  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path]:
    with Store.open(world.store, PASSPHRASE) as store, store.transaction() as session:
        for sql in PINS:
            session.connection().execute(text(sql))
        pin_people(session)
    monkeypatch.chdir(tmp_path)
    relative = Path("kantor") / "tpsdesk.store"
    relative.parent.mkdir()
    shutil.copy(world.store, relative)
    yield relative


@pytest.fixture
def id_app(request: pytest.FixtureRequest) -> Iterator[Any]:
    apps: list[TpsDeskApp] = []

    def build(path: Path) -> TpsDeskApp:
        app = make_app(path, language="id")
        apps.append(app)
        return app

    yield build
    for app in apps:
        app.close_store()


def steps(kind: str, *, detail: bool) -> Any:
    async def run(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await open_findings(pilot, kind)
        if detail:
            await pilot.press("enter")
            await settle(pilot)
            table = pilot.app.screen.query_one("#detail-table", DataTable)
            table.cursor_type = "row"
        await pilot.pause()

    return run


def test_findings_pane(pinned: Path, id_app: Any, snap_compare: SnapCompare) -> None:
    app = id_app(pinned)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(FindingKind.CONFLICT.value,
                                                                  detail=False))  # fmt: skip


def test_conflict_side_by_side(pinned: Path, id_app: Any, snap_compare: SnapCompare) -> None:
    app = id_app(pinned)

    async def run(pilot: Pilot[Any]) -> None:
        await steps(FindingKind.CONFLICT.value, detail=True)(pilot)
        screen = pilot.app.screen
        screen.query_one("#detail-table", DataTable).move_cursor(row=7)  # the phone
        await pilot.press("right")
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=run)


def test_likely_duplicate_side_by_side(
    pinned: Path, id_app: Any, snap_compare: SnapCompare
) -> None:
    app = id_app(pinned)
    assert snap_compare(app, terminal_size=SIZE, run_before=steps(
        FindingKind.LIKELY_DUPLICATE.value, detail=True))  # fmt: skip
