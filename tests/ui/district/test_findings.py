"""The desk's Findings tab and the side-by-side screen, driven by keyboard on the sample
district world (`exchange.demo_world`): every kind opened and decided, field-by-field taking
and editing, a refused edit, bulk keep-both, filters, paging, and a decision carried back to
the laptop by its receipt."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.ui.conftest import (
    FAST_KDF,
    PASSPHRASE,
    fill,
    make_app,
    running,
    screen_text,
    settle,
    table_rows,
)
from textual.pilot import Pilot
from textual.widgets import DataTable

from tpsdesk.exchange.demo_world import build_world
from tpsdesk.store.db import Store
from tpsdesk.sync import district
from tpsdesk.sync.district_models import Finding, FindingKind
from tpsdesk.ui.app import TpsDeskApp
from tpsdesk.ui.district.desk import DistrictDeskScreen
from tpsdesk.ui.district.finding_detail import FindingDetailScreen
from tpsdesk.ui.district.findings import FindingsPane


@dataclass(frozen=True)
class World:
    folder: Path
    store: Path
    laptops: list[Path]


def build(folder: Path) -> World:
    path = folder / "district" / "tpsdesk.store"
    store, _key = Store.create(path, PASSPHRASE, role="district", operator="Bu Ani",
                               kdf=FAST_KDF)  # fmt: skip
    try:
        summary = build_world(store, PASSPHRASE, folder / "world", kdf=FAST_KDF)
    finally:
        store.close()
    return World(folder, path, [laptop.store_path for laptop in summary.laptops])


@pytest.fixture(scope="session")
def world_template(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build(tmp_path_factory.mktemp("findings-world"))


@pytest.fixture
def world(world_template: World, tmp_path: Path) -> World:
    """A fresh copy of the sample world for each test (its laptop stores take a new identity
    when opened from the copy: a test that sends them a receipt builds its own world)."""
    folder = tmp_path / "w"
    shutil.copytree(world_template.folder, folder)
    moved = [folder / p.relative_to(world_template.folder) for p in world_template.laptops]
    return World(folder, folder / world_template.store.relative_to(world_template.folder), moved)


def findings_of(path: Path, kind: str, status: str = "open") -> list[Finding]:
    with Store.open(path, PASSPHRASE) as store:
        return [f for f in district.list_findings(store) if f.kind == kind and f.status == status]


async def open_findings(pilot: Pilot[Any], kind: str | None = None) -> FindingsPane:
    """Unlock the district store, open the Findings tab (F5), choose a kind."""
    app = pilot.app
    await fill(pilot, "#passphrase", PASSPHRASE)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, DistrictDeskScreen), app.screen
    await pilot.press("f5")
    await settle(pilot)
    pane = app.screen.query_one(FindingsPane)
    if kind is not None:
        pane.choose_kind(kind)
        await settle(pilot)
    pane.query_one("#findings-table", DataTable).focus()
    await pilot.pause()
    return pane


async def open_first(pilot: Pilot[Any]) -> FindingDetailScreen:
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FindingDetailScreen), screen
    return screen


def text(app: TpsDeskApp) -> str:
    return screen_text(app)


def info(app: TpsDeskApp) -> str:
    from tests.ui.conftest import static_text

    return static_text(app, "#findings-info")


async def answer_yes(pilot: Pilot[Any]) -> None:
    from tpsdesk.ui.screens.confirm import ConfirmScreen

    assert isinstance(pilot.app.screen, ConfirmScreen), pilot.app.screen
    await pilot.press("y")
    await settle(pilot)


def officer_values(path: Path, officer_id: str) -> dict[str, Any]:
    from tpsdesk.store import officers

    with Store.open(path, PASSPHRASE) as store:
        officer = officers.get_officer(store, officer_id)
        assert officer is not None
        return officer.model_dump()


async def go_to_field(pilot: Pilot[Any], screen: FindingDetailScreen, name: str) -> None:
    assert screen.detail is not None
    index = [f.name for f in screen.detail.fields].index(name)
    screen.query_one("#detail-table", DataTable).move_cursor(row=index)
    await pilot.pause()


async def test_conflict_taken_field_by_field_then_edited_reaches_the_laptop(tmp_path: Path) -> None:
    """Take the laptop's phone (→), then type another one (E): the district keeps the typed
    value, the finding records the clerk, and the laptop's receipt carries the value back."""
    from tpsdesk.sync.corrections import correction_for
    from tpsdesk.sync.identity import ensure_device_identity
    from tpsdesk.sync.receipt import build_receipt, import_receipt

    world = build(tmp_path)
    conflict = findings_of(world.store, "conflict")[0]
    officer_id = json.loads(conflict.row_ids)[0]
    app = make_app(world.store)
    async with running(app) as pilot:
        await open_findings(pilot, FindingKind.CONFLICT.value)
        assert "Showing 1–1 of 1" in info(app)
        screen = await open_first(pilot)
        shown = text(app)
        assert "Version 1: district office" in shown and "Version 2: laptop" in shown
        assert "typed by laptop-1" in shown and "bundle " in shown
        rows = table_rows(app, "#detail-table")
        phone = next(r for r in rows if r[1] == "Phone number")
        assert phone[0] == "≠" and phone[2] == "081234567890" and phone[3] == "085700011122"
        assert phone[4] == "081234567890"  # the result starts from version 1
        await go_to_field(pilot, screen, "phone")
        await pilot.press("right")
        await pilot.pause()
        assert screen.result["phone"] == "085700011122"
        await pilot.press("left")
        await pilot.pause()
        assert screen.result["phone"] == "081234567890"
        await pilot.press("right", "e")
        await settle(pilot)
        await fill(pilot, "#value", "0812 9998 8877")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, FindingDetailScreen)
        assert screen.result["phone"] == "081299988877"
        assert "081299988877 ✎" in text(app)
        await pilot.press("n")
        await settle(pilot)
        await fill(pilot, "#note", "ditelepon, nomor baru")
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert "Phone number: 081234567890 → 081299988877" in text(app)
        await answer_yes(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        assert "No findings here." in info(app)
    assert officer_values(world.store, officer_id)["phone"] == "081299988877"
    decided = findings_of(world.store, "conflict", "resolved")[0]
    assert decided.resolved_by == "Bu Ani"
    resolution = json.loads(decided.resolution)
    assert resolution["decision"] == "edit" and resolution["note"] == "ditelepon, nomor baru"

    with Store.open(world.store, PASSPHRASE) as hq, Store.open(world.laptops[0], PASSPHRASE) as one:
        _header, receipt = build_receipt(hq, ensure_device_identity(one).fingerprint)
        summary = import_receipt(one, receipt, file="r.tpsr")
        # The laptop changed the phone too: its clerk sees the district's value beside its
        # own and chooses (sync.corrections).
        assert summary.encrypted and summary.conflicts == 1
        correction = correction_for(one, officer_id)
    assert correction is not None
    assert [(c.field, c.mine, c.district) for c in correction.fields] == [
        ("phone", "085700011122", "081299988877")
    ]


async def test_a_refused_edit_shows_why_and_saves_nothing(world: World) -> None:
    conflict = findings_of(world.store, "conflict")[0]
    officer_id = json.loads(conflict.row_ids)[0]
    before = officer_values(world.store, officer_id)
    app = make_app(world.store)
    async with running(app) as pilot:
        await open_findings(pilot, FindingKind.CONFLICT.value)
        screen = await open_first(pilot)
        await go_to_field(pilot, screen, "nik")
        await pilot.press("e")
        await settle(pilot)
        await fill(pilot, "#value", "12345")
        await pilot.press("f2")
        await settle(pilot)
        assert not isinstance(app.screen, FindingDetailScreen)  # the form stays open
        assert "NIK" in str(app.screen.query_one("#error").render())
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and screen.result["nik"] == before["nik"]
        # A result being built is not lost to a stray Esc.
        await go_to_field(pilot, screen, "phone")
        await pilot.press("right", "escape")
        await settle(pilot)
        assert "Go back without saving the result?" in text(app)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen and screen.result["phone"] == "085700011122"
        await pilot.press("left")
        await pilot.pause()
        # A place is taken from a version, never typed.
        await go_to_field(pilot, screen, "kecamatan_code")
        await pilot.press("e")
        await settle(pilot)
        assert app.screen is screen and "take it from a version" in text(app)
        await pilot.press("escape")
        await settle(pilot)
    assert officer_values(world.store, officer_id) == before
    assert findings_of(world.store, "conflict")  # still open


async def test_keep_one_version_of_a_conflict(world: World) -> None:
    conflict = findings_of(world.store, "conflict")[0]
    officer_id = json.loads(conflict.row_ids)[0]
    app = make_app(world.store)
    async with running(app) as pilot:
        await open_findings(pilot, FindingKind.CONFLICT.value)
        await open_first(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert "Keep version 2 whole?" in text(app)
        await answer_yes(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
    assert officer_values(world.store, officer_id)["phone"] == "085700011122"


async def test_same_nik_keep_one_removes_the_other(world: World) -> None:
    finding = findings_of(world.store, "duplicate_nik")[0]
    ids = json.loads(finding.row_ids)
    app = make_app(world.store)
    async with running(app) as pilot:
        pane = await open_findings(pilot)  # the first kind: same NIK
        assert pane.kind == FindingKind.DUPLICATE_NIK.value
        screen = await open_first(pilot)
        assert "Record 1:" in text(app) and "Record 2:" in text(app)
        assert screen.detail is not None
        first = screen.detail.versions[0].key
        second = next(i for i in ids if i != first)
        await pilot.press("1")
        await settle(pilot)
        assert "Keep record 1? The other records are removed." in text(app)
        await answer_yes(pilot)
    assert officer_values(world.store, second)["deleted"] is True
    assert officer_values(world.store, first)["deleted"] is False


async def test_likely_duplicates_marked_and_kept_both_then_shown_as_decided(world: World) -> None:
    app = make_app(world.store)
    async with running(app) as pilot:
        pane = await open_findings(pilot, FindingKind.LIKELY_DUPLICATE.value)
        await pilot.press("b")  # nothing marked yet
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
        await pilot.press("space")
        await pilot.pause()
        assert "1 marked" in info(app) and table_rows(app, "#findings-table")[0][0] == "✓"
        await pilot.press("b")
        await settle(pilot)
        assert "Keep both records of 1 likely duplicate?" in text(app)
        await answer_yes(pilot)
        assert "No findings here." in info(app)
        await pilot.press("r")
        await settle(pilot)
        assert "decided" in info(app)
        row = table_rows(app, "#findings-table")[0]
        assert "Bu Ani" in row and "kept both" in row
        # Marking is for open likely duplicates only.
        await pilot.press("space")
        await pilot.pause()
        assert not pane.marked
    assert findings_of(world.store, "likely_duplicate", "resolved")


async def test_duplicate_tps_renumbered(world: World) -> None:
    finding = findings_of(world.store, "duplicate_tps")[0]
    first = json.loads(finding.row_ids)[0]
    app = make_app(world.store)
    async with running(app) as pilot:
        await open_findings(pilot, FindingKind.DUPLICATE_TPS.value)
        screen = await open_first(pilot)
        assert "Two TPS numbered" in text(app) and "Kel. " in text(app)
        await pilot.press("b")  # two TPS with one number cannot both stay
        await settle(pilot)
        assert app.screen is screen
        await go_to_field(pilot, screen, "number")
        await pilot.press("e")
        await settle(pilot)
        await fill(pilot, "#value", "1000")
        await pilot.press("f2")
        await settle(pilot)
        assert "1 to 999" in str(app.screen.query_one("#error").render())
        await fill(pilot, "#value", "77")
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert "TPS number: 013 → 077" in text(app) or "→ 077" in text(app)
        await answer_yes(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
    with Store.open(world.store, PASSPHRASE) as store:
        from tpsdesk.store import areas

        tps = areas.get_tps(store, first)
        assert tps is not None and tps.number == 77


async def test_gap_and_old_copy_are_closed_with_keep_both(world: World) -> None:
    # The sample world holds one of each: laptop 3's missing first bundle, and its store put
    # back to an older copy.
    app = make_app(world.store)
    async with running(app) as pilot:
        await open_findings(pilot, FindingKind.ROLLBACK.value)
        assert "changes " in text(app)
        await open_first(pilot)
        assert "came again with other contents" in text(app)
        await pilot.press("1")  # nothing to keep one of
        await settle(pilot)
        assert isinstance(app.screen, FindingDetailScreen)
        await pilot.press("b")
        await settle(pilot)
        assert "Close this finding" in text(app)
        await answer_yes(pilot)
        pane = app.screen.query_one(FindingsPane)
        pane.choose_kind(FindingKind.GAP.value)
        await settle(pilot)
        pane.query_one("#findings-table", DataTable).focus()
        await open_first(pilot)
        assert "have not arrived" in text(app)
        await pilot.press("b")
        await settle(pilot)
        await answer_yes(pilot)
    assert not findings_of(world.store, "rollback") and not findings_of(world.store, "gap")


def add_findings(path: Path, count: int, kind: str = "likely_duplicate") -> None:
    """`count` more open findings, half in the first kelurahan of the world's first laptops."""
    from datetime import UTC, datetime, timedelta

    from sqlmodel import select

    from tpsdesk.store.models import Officer

    with Store.open(path, PASSPHRASE) as store, store.transaction() as session:
        people = list(session.exec(select(Officer.id).limit(2)))
        start = datetime(2026, 1, 1, tzinfo=UTC)
        for n in range(count):
            area = "35.73.01.1001" if n % 2 else "35.73.02.1002"
            session.add(
                Finding(
                    id=f"bulk{n:020d}",
                    key=f"bulk:{n}",
                    kind=kind,
                    row_ids=json.dumps(people),
                    details=json.dumps({"rows": people}),
                    created_at=start + timedelta(minutes=n),
                    area_code=area,
                )
            )


async def test_pages_of_100_and_area_filters(world: World) -> None:
    from textual.widgets import Select

    add_findings(world.store, 250)
    app = make_app(world.store)
    async with running(app) as pilot:
        pane = await open_findings(pilot, FindingKind.LIKELY_DUPLICATE.value)
        assert "Showing 1–100 of 251" in info(app)
        newest = table_rows(app, "#findings-table")[0]
        assert newest[1].startswith("06-12-2026") or newest[1] >= "01-01-2026"
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert "Showing 101–200 of 251" in info(app)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert "Showing 201–251 of 251" in info(app)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "Showing 101–200 of 251" in info(app)
        kecamatan = pane.query_one("#findings-kecamatan", Select)
        kecamatan.value = "35.73.01"
        await settle(pilot)
        assert "Showing 1–100 of 126" in info(app)  # 125 added there, and the world's own
        kelurahan = pane.query_one("#findings-kelurahan", Select)
        codes = [value for _label, value in kelurahan._options if value != "*"]
        assert "35.73.01.1001" in codes
        kelurahan.value = "35.73.01.1001"
        await settle(pilot)
        assert "of 126" in info(app)
        kelurahan.value = next(c for c in codes if c != "35.73.01.1001")
        await settle(pilot)
        assert "No findings here." in info(app)
        kecamatan.value = "*"
        await settle(pilot)
        assert "of 251" in info(app)


async def test_text_from_the_store_is_shown_as_it_is(world: World) -> None:
    """A hostile name (markup, an escape code) is shown as text, not obeyed."""
    from sqlalchemy import text as sql

    finding = findings_of(world.store, "likely_duplicate")[0]
    first = json.loads(finding.row_ids)[0]
    with Store.open(world.store, PASSPHRASE) as store, store.transaction() as session:
        session.connection().execute(
            sql("UPDATE officer SET name = :name WHERE id = :id"),
            {"name": "[red]Bu\x1b[31m Sri[/red]", "id": first},
        )
    app = make_app(world.store)
    async with running(app) as pilot:
        await open_findings(pilot, FindingKind.LIKELY_DUPLICATE.value)
        assert "[red]Bu" in text(app) and "\x1b" not in text(app)
        await open_first(pilot)
        assert "[red]Bu" in text(app) and "\x1b" not in text(app)


async def test_a_refused_decision_is_shown_and_changes_nothing(world: World) -> None:
    """Keeping one TPS while the other still has an officer is refused with the reason."""
    from sqlalchemy import text as sql

    finding = findings_of(world.store, "duplicate_tps")[0]
    first, second = json.loads(finding.row_ids)
    with Store.open(world.store, PASSPHRASE) as store, store.transaction() as session:
        connection = session.connection()
        for tps_id in (first, second):
            connection.execute(
                sql(
                    "UPDATE officer SET tps_id = :tps WHERE id = (SELECT id FROM officer "
                    "WHERE deleted = 0 AND (tps_id IS NULL OR tps_id NOT IN (:a, :b)) LIMIT 1)"
                ),
                {"tps": tps_id, "a": first, "b": second},
            )
    app = make_app(world.store)
    async with running(app) as pilot:
        await open_findings(pilot, FindingKind.DUPLICATE_TPS.value)
        screen = await open_first(pilot)
        await pilot.press("1")
        await settle(pilot)
        await answer_yes(pilot)
        assert app.screen is screen
        assert "still has 1 officer" in text(app)
    assert findings_of(world.store, "duplicate_tps")  # still open
    with Store.open(world.store, PASSPHRASE) as store:
        from tpsdesk.store import areas

        assert all(areas.get_tps(store, i) is not None for i in (first, second))
        assert not any(areas.get_tps(store, i).deleted for i in (first, second))  # type: ignore[union-attr]


async def test_a_decided_finding_opens_read_only_with_who_decided(world: World) -> None:
    finding = findings_of(world.store, "duplicate_nik")[0]
    with Store.open(world.store, PASSPHRASE) as store:
        district.resolve_finding(store, finding.id, district.Decision.KEEP_BOTH, note="dua orang")
    app = make_app(world.store)
    async with running(app) as pilot:
        await open_findings(pilot)
        await pilot.press("r")
        await settle(pilot)
        screen = await open_first(pilot)
        shown = text(app)
        assert "Decided by Bu Ani on" in shown and "kept both — dua orang" in shown
        assert "Result" not in shown
        await pilot.press("1", "b", "f2", "e")
        await settle(pilot)
        assert app.screen is screen  # nothing to decide any more
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)


async def test_kind_and_area_chosen_by_keyboard(world: World) -> None:
    from textual.widgets import Select

    app = make_app(world.store)
    async with running(app) as pilot:
        pane = await open_findings(pilot)
        assert "Same NIK, open" in info(app)
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.focused, Select) and app.focused.id == "findings-kind"
        await pilot.press("enter", "down", "down", "enter")  # the list, then "Conflict"
        await settle(pilot)
        assert pane.kind == FindingKind.CONFLICT.value and "Conflict, open" in info(app)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.focused, Select) and app.focused.id == "findings-kecamatan"
        await pilot.press("enter", "down", "enter")  # the first kecamatan
        await settle(pilot)
        assert pane.kecamatan is not None and pane.kecamatan.startswith("35.73.")
        await pilot.press("tab")  # to the kelurahan of that kecamatan
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "findings-kelurahan"
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is pane.query_one("#findings-table")


async def test_a_result_built_from_duplicates_keeps_one_person_or_both(world: World) -> None:
    """Same NIK: the name typed anew, and the records are one person (the other goes);
    likely the same: a phone typed anew on one of two people (both stay)."""
    same = findings_of(world.store, "duplicate_nik")[0]
    likely = findings_of(world.store, "likely_duplicate")[0]
    app = make_app(world.store)
    async with running(app) as pilot:
        await open_findings(pilot)
        screen = await open_first(pilot)
        assert screen.detail is not None
        kept = screen.detail.versions[0].key
        await go_to_field(pilot, screen, "name")
        await pilot.press("e")
        await settle(pilot)
        await fill(pilot, "#value", "Siti Aminah Rahayu")
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert "Keep record 1 with these changes?" in text(app)
        await answer_yes(pilot)
        assert "Are these records one person?" in text(app)
        await answer_yes(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)

        pane = app.screen.query_one(FindingsPane)
        pane.choose_kind(FindingKind.LIKELY_DUPLICATE.value)
        await settle(pilot)
        pane.query_one("#findings-table", DataTable).focus()
        screen = await open_first(pilot)
        await go_to_field(pilot, screen, "phone")
        await pilot.press("e")
        await settle(pilot)
        await fill(pilot, "#value", "081211112222")
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        await answer_yes(pilot)
        await pilot.press("n")  # two people
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen)
    removed = next(i for i in json.loads(same.row_ids) if i != kept)
    assert officer_values(world.store, kept)["name"] == "Siti Aminah Rahayu"
    assert officer_values(world.store, removed)["deleted"] is True
    for officer_id in json.loads(likely.row_ids):
        assert officer_values(world.store, officer_id)["deleted"] is False
    resolved = findings_of(world.store, "likely_duplicate", "resolved")
    assert resolved and json.loads(resolved[0].resolution)["decision"] == "edit"
