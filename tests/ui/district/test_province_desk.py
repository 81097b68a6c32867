"""A province store opens the district desk; its Inbox merges a district's roll-up files."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from tests.sync.conftest import MERGE_PASSPHRASE, make_bundle, officer_row, valid_nik
from tests.sync.test_rollup import (
    TODAY,
    approve,
    files,
    join,
    make_district,
    make_province,
)
from tests.ui.conftest import fill, make_app, running, settle

from tpsdesk.store.db import Store
from tpsdesk.store.models import Officer
from tpsdesk.sync.merge import merge_bundle
from tpsdesk.sync.rollup import export_rollup, receive_rollup
from tpsdesk.ui.district.desk import DistrictDeskScreen
from tpsdesk.ui.district.inbox import InboxPane


async def test_the_province_desk_merges_roll_up_files(tmp_path: Path) -> None:
    province_path = tmp_path / "p" / "p.store"
    province = make_province(province_path)
    a = make_district(tmp_path / "a" / "a.store", "35.73", "Kota Malang", officers=2)
    join(province, a)
    for name, data in files(a, tmp_path / "first"):
        receive_rollup(province, data, file=name, today=TODAY)
    approve(province, a)
    province.close()
    # The laptop sends one more officer; the district rolls up again into the inbox.
    row = officer_row(device=a.device, counter=50, tps_id=a.tps[0], kelurahan=a.kel,
                      kecamatan_code=a.kec, nik=valid_nik(serial=4321))  # fmt: skip
    assert merge_bundle(a.store, make_bundle(a.device, a.key, [row], seq_from=4, area=a.kel),
                        today=TODAY).merged  # fmt: skip
    inbox = tmp_path / "inbox"
    export_rollup(a.store, inbox)
    app = make_app(province_path)
    async with running(app) as pilot:
        await fill(pilot, "#passphrase", MERGE_PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DistrictDeskScreen), app.screen
        pane = app.screen.query_one(InboxPane)
        pane.open_folder(inbox)
        await settle(pilot)
        assert [r.entry.name for r in pane.rows] == ["3573_rollup_1-2.tpsu"]
        await pilot.press("a")
        await settle(pilot)
    store = Store.open(province_path, MERGE_PASSPHRASE)
    try:
        with store.read() as session:
            ids = set(session.exec(select(Officer.id)))
    finally:
        store.close()
    assert ids == {*a.officers, row["values"]["id"]}
