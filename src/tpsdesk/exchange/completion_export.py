"""Posts filled against posts needed: per TPS, and per kelurahan and kecamatan (XLSX or CSV).

The counts are `store.completion`'s (places filled post by post; officers beyond a post's places
are extra, "6/6 +5" in the post's column); this module writes them. XLSX: sheets "TPS", "Units" and
"Settings"; CSV: F.csv (TPS), F-units.csv and F-settings.csv. The settings printed are the posts
needed per unit and the district's pay settings, as on every export. No personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tpsdesk.domain.posts import Post, PostCatalogue, Unit
from tpsdesk.exchange.xlsx_writer import (
    CSV,
    XLSX,
    AtomicFiles,
    ExportError,
    Progress,
    csv_writer,
    new_workbook,
    output_kind,
    refuse_existing,
    save_workbook,
    settings_lines,
    side_path,
)
from tpsdesk.i18n import _
from tpsdesk.store.completion import (
    PostFill,
    TpsCompletion,
    UnitCompletion,
    tps_completion,
    unit_completion,
)
from tpsdesk.store.db import Store
from tpsdesk.store.pay_settings import load_pay_settings


@dataclass(frozen=True)
class CompletionExportResult:
    files: tuple[Path, ...]
    tps: int
    tps_complete: int
    units: int
    units_complete: int


def _fill_text(posts: Sequence[PostFill], code: str) -> str:
    for fill in posts:
        if fill.post_code == code:
            extra = f" +{fill.extra}" if fill.extra else ""
            return f"{fill.filled}/{fill.needed}{extra}"
    return ""


def _yes(complete: bool) -> str:
    return _("yes") if complete else _("no")


def _tps_heading(posts: list[Post]) -> list[str]:
    return [
        _("Kecamatan code"),
        _("Kelurahan code"),
        _("Kelurahan"),
        _("TPS"),
        _("Address"),
        _("Voters"),
        _("Needed"),
        _("Filled"),
        _("Missing"),
        _("Extra"),
        _("Complete"),
        *(post.name for post in posts),
    ]


def _tps_values(tps: TpsCompletion, posts: list[Post]) -> list[Any]:
    return [
        tps.kecamatan_code,
        tps.kelurahan_code,
        tps.kelurahan_name,
        f"{tps.number:03d}",
        tps.address,
        tps.voters if tps.voters is not None else "",
        tps.needed,
        tps.filled,
        tps.missing,
        tps.extra,
        _yes(tps.complete),
        *(_fill_text(tps.posts, post.code) for post in posts),
    ]


def _unit_heading(posts: list[Post]) -> list[str]:
    return [
        _("Unit"),
        _("Code"),
        _("Name"),
        _("Kecamatan code"),
        _("Needed"),
        _("Filled"),
        _("Missing"),
        _("Extra"),
        _("Complete"),
        *(post.name for post in posts),
    ]


def _unit_values(unit: UnitCompletion, posts: list[Post]) -> list[Any]:
    return [
        _("kecamatan") if unit.unit == Unit.KECAMATAN else _("kelurahan"),
        unit.code,
        unit.name,
        unit.kecamatan_code,
        unit.needed,
        unit.filled,
        unit.missing,
        unit.extra,
        _yes(unit.complete),
        *(_fill_text(unit.posts, post.code) for post in posts),
    ]


def _settings_rows(store: Store, catalogue: PostCatalogue) -> list[tuple[str, str]]:
    rows = [(_("Written"), datetime.now(UTC).strftime("%d-%m-%Y %H:%M UTC"))]
    for post in catalogue.posts:
        needed = str(post.per_unit)
        if post.per_unit_large_tps is not None:
            needed += " " + _("({n} above {voters} voters)").format(
                n=post.per_unit_large_tps, voters=catalogue.large_tps_voters
            )
        rows.append((_("Needed per unit: {post}").format(post=post.name), needed))
    return rows + settings_lines(load_pay_settings(store), catalogue)


def export_completion(
    store: Store, out: Path, *, force: bool = False, progress: Progress | None = None
) -> CompletionExportResult:
    """Write posts filled against posts needed to `out` (.xlsx, or .csv plus F-units.csv).

    Raises ExportError when the store has no TPS and no units, or a file cannot be written.
    """
    kind = output_kind(out, (XLSX, CSV))
    units_path = side_path(out, "units")
    settings_path = side_path(out, "settings")
    refuse_existing([out, units_path, settings_path] if kind == CSV else [out], force)
    catalogue = store.catalogue
    tps_rows = tps_completion(store)
    unit_rows = unit_completion(store)
    if not tps_rows and not unit_rows:
        raise ExportError(_("There is no area to report on: import the area list first."))
    tps_posts = catalogue.for_unit(Unit.TPS)
    unit_posts = catalogue.for_unit(Unit.KECAMATAN) + catalogue.for_unit(Unit.KELURAHAN)
    total = len(tps_rows) + len(unit_rows)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        if progress is not None and (done % 500 == 0 or done == total):
            progress(done, total)

    with AtomicFiles(force=force) as files:
        if kind == XLSX:
            workbook = new_workbook()
            sheet = files.sheet(workbook, _("TPS"), out)
            sheet.heading(_tps_heading(tps_posts))
            for tps in tps_rows:
                sheet.row(_tps_values(tps, tps_posts))
                tick()
            sheet = files.sheet(workbook, _("Units"), out)
            sheet.heading(_unit_heading(unit_posts))
            for unit in unit_rows:
                sheet.row(_unit_values(unit, unit_posts))
                tick()
            used = files.sheet(workbook, _("Settings"), out)
            used.widths([34, 60])
            used.heading([_("Setting"), _("Value")])
            for label, value in _settings_rows(store, catalogue):
                used.text_row([label, value])
            save_workbook(workbook, files.new(out))
        else:
            with csv_writer(files.new(out)) as writer:
                writer.writerow(_tps_heading(tps_posts))
                for tps in tps_rows:
                    writer.writerow(_tps_values(tps, tps_posts))
                    tick()
            with csv_writer(files.new(units_path)) as writer:
                writer.writerow(_unit_heading(unit_posts))
                for unit in unit_rows:
                    writer.writerow(_unit_values(unit, unit_posts))
                    tick()
            with csv_writer(files.new(settings_path)) as writer:
                writer.writerow([_("Setting"), _("Value")])
                writer.writerows(_settings_rows(store, catalogue))
    return CompletionExportResult(
        files=tuple(files.written),
        tps=len(tps_rows),
        tps_complete=sum(1 for t in tps_rows if t.complete),
        units=len(unit_rows),
        units_complete=sum(1 for u in unit_rows if u.complete),
    )


def completion_summary(result: CompletionExportResult) -> str:
    text = _("{complete} of {tps} TPS complete; {units_complete} of {units} units complete.")
    return text.format(
        complete=result.tps_complete,
        tps=result.tps,
        units_complete=result.units_complete,
        units=result.units,
    )
