"""The province's inbox (F2): the district desk's inbox (`ui.district.inbox`) for roll-up
files, its texts speaking of districts; a laptop's bundle dropped here is marked as the wrong
kind of file and refused if merged."""

from __future__ import annotations

from textual.binding import Binding

from tpsdesk.i18n import N_
from tpsdesk.ui.district.inbox import InboxPane


class RollupInboxPane(InboxPane):
    PROVINCE = True

    BINDINGS = [
        Binding(
            "o",
            "choose_folder",
            N_("Folder"),
            id="inbox.choose",
            tooltip=N_("Choose the folder or drive that holds the roll-up files"),
        ),
        Binding(
            "a",
            "merge_all",
            N_("Merge all new"),
            id="inbox.merge_all",
            tooltip=N_("Merge every new roll-up file in the folder"),
        ),
    ]
