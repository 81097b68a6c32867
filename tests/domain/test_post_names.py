"""Post names as offices write them, read to the catalogue's posts."""

from __future__ import annotations

import pytest

from tpsdesk.domain.names import name_key
from tpsdesk.domain.post_names import find_post
from tpsdesk.domain.posts import DEFAULT_CATALOGUE


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("kpps_anggota", "kpps_anggota"),
        ("Anggota KPPS", "kpps_anggota"),
        ("ANGGOTA  KPPS.", "kpps_anggota"),
        ("Anggota KPPS 4", "kpps_anggota"),
        ("KPPS 1", "kpps_ketua"),
        ("KPPS-1", "kpps_ketua"),
        ("kpps1", "kpps_ketua"),
        ("KPPS I", "kpps_ketua"),
        ("KPPS 2", "kpps_anggota"),
        ("KPPS VII", "kpps_anggota"),
        ("Ketua KPPS", "kpps_ketua"),
        ("LINMAS", "linmas"),
        ("Linmas 2", "linmas"),
        ("Anggota Linmas", "linmas"),
        ("Petugas Ketertiban TPS", "linmas"),
        ("Pengawas TPS", "ptps"),
        ("PTPS", "ptps"),
        ("Pantarlih", "pantarlih"),
        ("PPS 1", "pps_ketua"),
        ("PPS 3", "pps_anggota"),
        ("Sekretariat PPS", "pps_sekretariat"),
        ("Pengawas Kelurahan/Desa", "pkd"),
        ("Panwaslu Kecamatan", "panwascam"),
        ("Staf Sekretariat Panwascam", "panwascam_sekretariat"),
    ],
)
def test_names_offices_write(text: str, code: str) -> None:
    post = find_post(text, DEFAULT_CATALOGUE)
    assert post is not None and post.code == code


@pytest.mark.parametrize("text", ["", "Ketua", "Anggota", "KPPS", "KPPS 0", "Bendahara", "PPK"])
def test_names_that_could_be_anything_are_not_guessed(text: str) -> None:
    assert find_post(text, DEFAULT_CATALOGUE) is None


def test_only_posts_the_catalogue_has() -> None:
    smaller = DEFAULT_CATALOGUE.from_dict(
        {
            **DEFAULT_CATALOGUE.to_dict(),
            "posts": [p for p in DEFAULT_CATALOGUE.to_dict()["posts"] if p["code"] != "linmas"],
        }
    )
    assert find_post("Anggota Linmas", smaller) is None
    assert name_key("Anggota KPPS-4.") == "anggota kpps 4"
