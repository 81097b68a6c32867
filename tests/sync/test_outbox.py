"""The outbox: which laptops have news for a receipt, and writing many receipts and setup files
to one folder with a result per file (sync/outbox.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tpsdesk.exchange.demo_world import WorldSummary, build_world
from tpsdesk.store.db import Store
from tpsdesk.sync import district, outbox
from tpsdesk.sync.outbox import Standing
from tpsdesk.sync.receipt import import_receipt
from tpsdesk.sync.setup import DistrictNotSet, read_setup_file

from .conftest import MERGE_KDF, MERGE_PASSPHRASE, make_store


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Store, WorldSummary]]:
    store = make_store(tmp_path / "district" / "tpsdesk.store", "district")
    summary = build_world(store, MERGE_PASSPHRASE, tmp_path / "world", kdf=MERGE_KDF)
    yield store, summary
    store.close()


def accepted_officer(store: Store) -> str:
    """An officer a laptop sent that its receipt calls accepted."""
    from tpsdesk.sync.receipt import receipt_entries

    for device in district.list_devices(store):
        if device.status != "approved":
            continue
        with store.read() as session:
            for entry in receipt_entries(session, device, 0, [], encrypted=True):
                if entry.get("status") == "accepted":
                    return str(entry["id"])
    raise AssertionError("no accepted officer")


def standing(store: Store) -> dict[str, Standing]:
    return {n.device_id: n.standing for n in outbox.laptops_news(store)}


def test_news_receipts_and_what_makes_news_again(
    world: tuple[Store, WorldSummary], tmp_path: Path
) -> None:
    store, summary = world
    waiting = next(d for d in district.list_devices(store) if d.status == "pending")
    first = standing(store)
    assert first[waiting.device_id] is Standing.WAITING
    assert sorted(s.value for s in first.values()).count("news") == 3

    out = tmp_path / "out"
    out.mkdir()
    batch = outbox.write_receipts(store, out)
    assert len(batch.written) == 3 and not batch.refused
    assert [n.standing for n in batch.skipped] == [Standing.WAITING]
    for result in batch.written:
        assert result.path is not None and result.tells is not None
        assert result.tells.describe()
    # Every laptop's store takes its receipt.
    for laptop in summary.laptops:
        if laptop.state != "approved":
            continue
        with Store.open(laptop.store_path, MERGE_PASSPHRASE) as field:
            from tpsdesk.sync.identity import device_identity

            me = device_identity(field)
            assert me is not None
            files = [r.path for r in batch.written if r.device_id == me.device_id]
            assert len(files) == 1 and files[0] is not None
            imported = import_receipt(field, files[0].read_bytes(), file=files[0].name)
            assert imported.version == 1

    # Nothing new: no news, nothing written.
    assert set(standing(store).values()) == {Standing.NO_NEWS, Standing.WAITING}
    again = outbox.write_receipts(store, out)
    assert again.results == [] and len(again.skipped) == 4

    # A KPJ number recorded for one laptop's officer is news for that laptop only.
    officer_id = accepted_officer(store)
    from tpsdesk.exchange.participant_numbers import ParticipantPlan, record_participant_numbers

    plan = ParticipantPlan(path=Path("kpj.csv"), to_record={officer_id: (2, "12345678901")})
    assert record_participant_numbers(store, plan) == 1
    now = standing(store)
    assert list(now.values()).count(Standing.NEWS) >= 1
    news = [n for n in outbox.laptops_news(store) if n.has_news]
    assert all(n.tells is not None and n.tells.enrolled >= 1 for n in news)

    # A revoked laptop is skipped, and named so.
    revoked = news[0]
    district.revoke(store, revoked.fingerprint)
    assert standing(store)[revoked.device_id] is Standing.REVOKED
    refused = outbox.write_receipt(store, revoked.device_id, out)
    assert refused.path is None and refused.problem == "revoked"


def test_an_existing_file_is_not_overwritten_and_the_laptop_keeps_its_news(
    world: tuple[Store, WorldSummary], tmp_path: Path
) -> None:
    store, _summary = world
    out = tmp_path / "out"
    out.mkdir()
    news = [n for n in outbox.laptops_news(store) if n.has_news]
    taken = out / news[0].file_name
    taken.write_bytes(b"mine")
    batch = outbox.write_receipts(store, out)
    assert taken.read_bytes() == b"mine"
    assert len(batch.refused) == 1 and "already exists" in batch.refused[0].problem
    assert len(batch.written) == len(news) - 1
    # No receipt number was used up, and the laptop still has news.
    again = outbox.laptop_news(store, district.get_device(store, news[0].device_id))  # type: ignore[arg-type]
    assert again.has_news and again.receipts == 0


def test_setup_files_for_one_area_and_for_all(
    world: tuple[Store, WorldSummary], tmp_path: Path
) -> None:
    store, summary = world
    areas = outbox.district_areas(store)
    kelurahan = [a for a in areas if a.kind == "kelurahan"]
    assert len(kelurahan) == summary.kelurahan
    out = tmp_path / "setup"
    out.mkdir()
    one = outbox.write_setup_files(store, [kelurahan[0].code], out)
    assert len(one.written) == 1
    written = one.written[0]
    assert written.path is not None
    content = read_setup_file(written.path.read_bytes())
    assert content.area == kelurahan[0].code
    assert content.fingerprint == one.fingerprint
    assert one.sheet is not None
    sheet = one.sheet.read_text()
    assert one.fingerprint in sheet and written.path.name in sheet

    every = outbox.write_setup_files(store, outbox.setup_targets(store, outbox.ALL_KELURAHAN), out)
    assert len(every.written) == summary.kelurahan
    assert every.sheet is not None and every.sheet != one.sheet  # the first sheet is kept
    # The demo's duplicate TPS is left out of its kelurahan's file, and said so.
    assert sum(f.left_out for f in every.written) == 1
    kecamatan = outbox.setup_targets(store, outbox.ALL_KECAMATAN)
    assert len(kecamatan) == summary.kecamatan

    # An area of another district is refused for that area only.
    mixed = outbox.write_setup_files(store, ["36.01.01", kecamatan[0]], out)
    assert len(mixed.written) == 1 and "36.01.01" in mixed.refused[0].problem


def test_setup_files_refused_before_the_district_is_named(tmp_path: Path) -> None:
    store = make_store(tmp_path / "district" / "tpsdesk.store", "district")
    with store, pytest.raises(DistrictNotSet):
        outbox.write_setup_files(store, ["35.73.05"], tmp_path)
    assert list(tmp_path.glob("*.tpss")) == []


def test_a_decision_on_a_finding_is_news_and_a_cli_receipt_counts(
    world: tuple[Store, WorldSummary], tmp_path: Path
) -> None:
    from tpsdesk.sync.district_models import FindingKind, FindingStatus
    from tpsdesk.sync.receipt import build_receipt

    store, _summary = world
    # Receipts written one by one (as `tpsdesk district receipt` does) are remembered too.
    for news in outbox.laptops_news(store):
        if news.has_news:
            build_receipt(store, news.device_id)
    assert Standing.NEWS not in standing(store).values()
    likely = district.list_findings(
        store, status=FindingStatus.OPEN, kind=FindingKind.LIKELY_DUPLICATE
    )[0]
    district.resolve_finding(store, likely.id, district.Decision.KEEP_BOTH)
    assert Standing.NEWS in standing(store).values()


def test_a_folder_that_cannot_be_written_leaves_the_news(
    world: tuple[Store, WorldSummary], tmp_path: Path
) -> None:
    store, _summary = world
    before = {n.device_id for n in outbox.laptops_news(store) if n.has_news}
    batch = outbox.write_receipts(store, tmp_path / "pulled-out-drive")
    assert batch.written == [] and len(batch.refused) == len(before)
    assert all("Could not write" in r.problem for r in batch.refused)
    assert {n.device_id for n in outbox.laptops_news(store) if n.has_news} == before
