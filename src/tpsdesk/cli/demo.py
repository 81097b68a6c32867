"""`tpsdesk demo`: fill a store (or a whole district world) with made-up data."""

from __future__ import annotations

import hashlib
from pathlib import Path

import click

from tpsdesk.cli.common import (
    _open_store,
    _passphrase,
    _store_option,
    cli_command,
    fail,
    kdf_params_from_env,
    option,
)
from tpsdesk.i18n import N_, _, ngettext
from tpsdesk.terminal import printable


@cli_command(
    help=N_(
        "Fill the store with synthetic officers (structurally valid NIKs, not real people); "
        "creates a sample area first if the store has none."
    )
)
@option(
    "--officers",
    type=click.IntRange(0, 1_000_000),
    default=500,
    show_default=True,
    help=N_("How many officers to add."),
)
@option(
    "--seed",
    type=int,
    default=None,
    help=N_("Random seed (default: one of the enrolled area's own, so laptops differ)."),
)
@option(
    "--district",
    "world",
    is_flag=True,
    help=N_(
        "On a new district store: build a sample world (an area, enrolled laptops, bundles "
        "waiting, findings of each kind)."
    ),
)
@option(
    "--folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=N_("With --district: where the laptops and the inbox go (default: demo-world beside "
            "the store)."),
)  # fmt: skip
@_store_option
@click.pass_context
def demo(
    ctx: click.Context, officers: int, seed: int | None, world: bool, folder: Path | None
) -> None:
    from tpsdesk.exchange.demo import DEFAULT_SEED, fill_demo
    from tpsdesk.store.area_scope import enrolled_area

    if world:
        _demo_world(ctx, folder)
        return
    if folder is not None:
        fail(_("--folder goes with --district."))
    with _open_store(ctx) as store:
        if seed is None:
            # The same people on every laptop would make every demo officer a duplicate at
            # the district: an enrolled laptop's area gives it people of its own (the same
            # ones each time, as the fixed seed of a store without an area does).
            with store.read() as session:
                area = enrolled_area(session)
            seed = DEFAULT_SEED
            if area:
                seed = int(hashlib.sha256(area.encode()).hexdigest()[:8], 16)
        summary = fill_demo(store, officers, rng_seed=seed)
    if summary.area_created:
        click.echo(
            _(
                "Sample area created: {kecamatan} kecamatan, {kelurahan} kelurahan, {tps} TPS."
            ).format(kecamatan=summary.kecamatan, kelurahan=summary.kelurahan, tps=summary.tps)
        )
    click.echo(_("Added {n} synthetic officers.").format(n=summary.added))
    if summary.no_room:
        fail(
            _("{n} officers were not added: every post in the area is filled.").format(
                n=summary.no_room
            )
        )


def _demo_world(ctx: click.Context, folder: Path | None) -> None:
    from tpsdesk.exchange.demo_world import WORLD_FOLDER, WorldRefused, build_world
    from tpsdesk.sync.finding_view import kind_label as _kind

    with _open_store(ctx) as store:
        folder = folder or store.path.parent / WORLD_FOLDER
        try:
            world = build_world(store, _passphrase(ctx), folder, kdf=kdf_params_from_env())
        except WorldRefused as refused:
            fail(str(refused))
    if world.district_set:
        click.echo(
            _("District set: {name} ({code}).").format(
                name=world.district_name, code=world.district_code
            )
        )
    click.echo(
        _("Sample area created: {kecamatan} kecamatan, {kelurahan} kelurahan, {tps} TPS.").format(
            kecamatan=world.kecamatan, kelurahan=world.kelurahan, tps=world.tps
        )
    )
    click.echo(_("Sample world: {folder}").format(folder=str(world.folder)))
    click.echo(_("The laptops' stores open with this store's passphrase; each is a field store:"))
    for laptop in world.laptops:
        state = _("approved") if laptop.state == "approved" else _("waiting for approval")
        click.echo(
            "  "
            + ngettext(
                "{laptop}: kelurahan {code} {kelurahan}, {n} officer, {state}",
                "{laptop}: kelurahan {code} {kelurahan}, {n} officers, {state}",
                laptop.officers,
            ).format(
                laptop=laptop.name,
                code=laptop.kelurahan_code,
                kelurahan=printable(laptop.kelurahan_name),
                n=laptop.officers,
                state=state,
            )
        )
        click.echo("    " + _("store: {path}").format(path=str(laptop.store_path)))
        click.echo("    " + _("fingerprint: {fingerprint}").format(fingerprint=laptop.fingerprint))
    click.echo(
        ngettext(
            "{n} bundle waits in {folder}, not merged yet:",
            "{n} bundles wait in {folder}, not merged yet:",
            len(world.inbox_files),
        ).format(n=len(world.inbox_files), folder=str(world.inbox))
    )
    for path in world.inbox_files:
        click.echo(f"  {path.name}")
    click.echo(
        ngettext("{n} bundle merged.", "{n} bundles merged.", world.merged).format(n=world.merged)
    )
    click.echo(
        ngettext(
            "{n} bundle waits in quarantine for its laptop's approval.",
            "{n} bundles wait in quarantine for their laptops' approval.",
            world.quarantined,
        ).format(n=world.quarantined)
    )
    click.echo(_("Findings:"))
    for kind, count in sorted(world.findings.items()):
        click.echo(f"  {_kind(kind)}: {count}")
    click.echo(
        _(
            "Next: open the desk with `tpsdesk`, then F2 Inbox and O to choose {inbox}; or "
            "by command: `tpsdesk district merge {inbox}`, `tpsdesk district devices`, "
            "`tpsdesk district findings`."
        ).format(inbox=str(world.inbox))
    )
