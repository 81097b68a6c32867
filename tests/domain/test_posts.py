import json
from datetime import date
from typing import Any

import pytest

from tpsdesk.domain.posts import DEFAULT_CATALOGUE, PostCatalogue, Unit

CAT = DEFAULT_CATALOGUE


def test_tps_needs() -> None:
    assert CAT.needed(Unit.TPS) == {
        "pantarlih": 1,
        "kpps_ketua": 1,
        "kpps_anggota": 6,
        "linmas": 2,
        "ptps": 1,
    }


def test_pantarlih_doubles_above_400_voters() -> None:
    assert CAT.large_tps_voters == 400
    assert CAT.needed(Unit.TPS, voters=400)["pantarlih"] == 1
    assert CAT.needed(Unit.TPS, voters=401)["pantarlih"] == 2
    assert CAT.needed(Unit.TPS, voters=401)["kpps_anggota"] == 6
    assert CAT.needed(Unit.TPS, voters=None)["pantarlih"] == 1


def test_kelurahan_needs() -> None:
    assert CAT.needed(Unit.KELURAHAN) == {
        "pps_ketua": 1,
        "pps_anggota": 2,
        "pps_sekretariat": 3,
        "pkd": 1,
    }
    # Voters only matter per TPS.
    assert CAT.needed(Unit.KELURAHAN, voters=5000) == CAT.needed(Unit.KELURAHAN)


def test_kecamatan_needs_leave_out_the_unset_secretariat() -> None:
    assert CAT.needed(Unit.KECAMATAN) == {
        "ppk_ketua": 1,
        "ppk_anggota": 4,
        "ppk_sekretariat": 3,
        "panwascam": 3,
    }
    secretariat = CAT.get("panwascam_sekretariat")
    assert secretariat is not None and secretariat.per_unit == 0


def test_malang_totals() -> None:
    # DOMAIN.md: Kota Malang 8,316 KPPS at 1,188 TPS.
    per_tps = CAT.needed(Unit.TPS)
    assert 1188 * (per_tps["kpps_ketua"] + per_tps["kpps_anggota"]) == 8316


def test_names_bodies_ages() -> None:
    kpps = CAT.get("kpps_anggota")
    assert kpps is not None
    assert (kpps.name, kpps.body, kpps.min_age, kpps.max_age_warning) == (
        "Anggota KPPS",
        "KPU",
        17,
        55,
    )
    ketua = CAT.get("kpps_ketua")
    assert ketua is not None and ketua.name == "Ketua KPPS" and ketua.max_age_warning == 55
    linmas = CAT.get("linmas")
    assert linmas is not None and linmas.name == "Linmas"
    ptps = CAT.get("ptps")
    assert ptps is not None and (ptps.name, ptps.body, ptps.min_age) == ("PTPS", "Bawaslu", 21)
    for post in CAT.posts:
        assert post.body in ("KPU", "Bawaslu")
        assert post.min_age == (21 if post.body == "Bawaslu" else 17)
        if not post.code.startswith("kpps_"):
            assert post.max_age_warning is None
    assert CAT.get("nope") is None


def test_duty_periods_pilkada_2024() -> None:
    def period(code: str) -> tuple[date | None, date | None]:
        post = CAT.get(code)
        assert post is not None
        return post.duty_start, post.duty_end

    kpps = (date(2024, 11, 7), date(2024, 12, 8))
    assert period("kpps_ketua") == period("kpps_anggota") == period("linmas") == kpps
    assert period("pantarlih") == (date(2024, 6, 24), date(2024, 7, 25))
    ptps_start, ptps_end = period("ptps")
    voting = date(2024, 11, 27)
    assert ptps_start is not None and ptps_end is not None
    assert ((voting - ptps_start).days, (ptps_end - voting).days) == (23, 7)
    assert period("ppk_ketua")[0] == date(2024, 5, 16)
    pps_start, pps_end = period("pps_ketua")
    assert pps_start == date(2024, 5, 25)
    assert pps_end is not None and pps_end <= date(2025, 1, 25)  # at most 8 months
    assert period("pkd")[0] == date(2024, 6, 1)
    for post in CAT.posts:
        if post.duty_start and post.duty_end:
            assert post.duty_start <= post.duty_end


def test_for_unit() -> None:
    assert [p.code for p in CAT.for_unit(Unit.TPS)] == [
        "kpps_ketua",
        "kpps_anggota",
        "linmas",
        "pantarlih",
        "ptps",
    ]
    assert len(CAT.for_unit(Unit.KECAMATAN)) == 5
    assert len(CAT.posts) == len({p.code for p in CAT.posts}) == 14


def test_round_trip_through_json() -> None:
    data = json.loads(json.dumps(CAT.to_dict()))
    assert data["posts"][0]["duty_start"] == "2024-05-16"
    assert PostCatalogue.from_dict(data) == CAT


def test_district_override_round_trip() -> None:
    changed = CAT.with_overrides(
        {
            "panwascam_sekretariat": {"per_unit": 8},
            "kpps_anggota": {"duty_start": "2024-11-06", "max_age_warning": None},
        }
    )
    assert changed.needed(Unit.KECAMATAN)["panwascam_sekretariat"] == 8
    anggota = changed.get("kpps_anggota")
    assert anggota is not None
    assert anggota.duty_start == date(2024, 11, 6) and anggota.max_age_warning is None
    assert PostCatalogue.from_dict(json.loads(json.dumps(changed.to_dict()))) == changed
    assert CAT.needed(Unit.KECAMATAN).get("panwascam_sekretariat") is None  # unchanged


def test_large_tps_threshold_is_a_setting() -> None:
    data = CAT.to_dict()
    data["large_tps_voters"] = 300
    catalogue = PostCatalogue.from_dict(data)
    assert catalogue.needed(Unit.TPS, voters=301)["pantarlih"] == 2


def _entry(**changes: Any) -> dict[str, Any]:
    data = CAT.to_dict()
    entry = next(e for e in data["posts"] if e["code"] == "linmas")
    entry.update(changes)
    return data


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (_entry(per_unit=-1), ["linmas", "per_unit"]),
        (_entry(per_unit="2"), ["linmas", "per_unit"]),
        (_entry(per_unit=True), ["linmas", "per_unit"]),
        (_entry(per_unit=100), ["linmas", "per_unit"]),
        (_entry(unit="rt"), ["linmas", "unit"]),
        (_entry(body="DPR"), ["linmas", "body"]),
        (_entry(name=" "), ["linmas", "name"]),
        (_entry(min_age="17"), ["linmas", "min_age"]),
        (_entry(duty_start="07-11-2024"), ["linmas", "duty_start"]),
        (_entry(duty_end="2024-11-01"), ["linmas", "duty_end"]),
        (_entry(min_age=60, max_age_warning=55), ["linmas", "max_age_warning"]),
        (_entry(per_unit_large_tps=3, unit="kelurahan"), ["linmas", "per_unit_large_tps"]),
        (_entry(colour="red"), ["linmas", "colour"]),
        (_entry(code="Linmas!"), ["#9"]),
        (_entry(code=None), ["#9"]),
        (_entry(code="kpps_ketua"), ["kpps_ketua", "twice"]),
        ({"posts": []}, ["list of posts"]),
        ({"posts": "linmas"}, ["list of posts"]),
        ({"posts": ["linmas"]}, ["#1"]),
        ({**CAT.to_dict(), "version": 2}, ["format 2"]),
        ({**CAT.to_dict(), "large_tps_voters": -5}, ["large_tps_voters"]),
        ([], ["mapping"]),
    ],
)
def test_bad_catalogue_names_the_entry(data: Any, words: list[str]) -> None:
    with pytest.raises(ValueError) as caught:
        PostCatalogue.from_dict(data)
    for word in words:
        assert word in str(caught.value)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"kpps_ketuaa": {"per_unit": 1}}, ["kpps_ketuaa", "no such post"]),
        ({"linmas": {"code": "x"}}, ["linmas", "code"]),
        ({"linmas": {"bogus": 1}}, ["linmas", "bogus"]),
        ({"linmas": {"per_unit": -2}}, ["linmas", "per_unit"]),
        ({"linmas": 3}, ["linmas"]),
    ],
)
def test_bad_override(overrides: Any, words: list[str]) -> None:
    with pytest.raises(ValueError) as caught:
        CAT.with_overrides(overrides)
    for word in words:
        assert word in str(caught.value)
