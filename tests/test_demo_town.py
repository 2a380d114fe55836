"""The demo town's files agree with each other (content/midori/README.md): one list of districts,
one phone number per department — what a newcomer reads in one place is what the bot says in another."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import yaml

TOWN = Path(__file__).resolve().parents[1] / "content" / "midori"
PHONE = re.compile(r"\d{2,5}-\d{1,4}-\d{4}")
OUTSIDE = {"outside_pref", "outside"}


def yml(name: str):
    return yaml.safe_load((TOWN / name).read_text(encoding="utf-8"))


def districts() -> list[str]:
    [area] = [a for a in yml("attributes.yml")["attributes"] if a["key"] == "area"]
    return [c["label"] for c in area["choices"] if c["value"] not in OUTSIDE]


def directory() -> dict[str, str]:
    """The FAQ's header: department → number (「住民課 0000-00-1121 ／ …」)."""
    header = "".join(line for line in (TOWN / "faq.yml").read_text(encoding="utf-8").splitlines()[:12]
                     if line.startswith("#"))
    return {dept.split("：")[-1]: number for dept, number in re.findall(r"([^\s#／]+) (0000-00-\d{4})", header)}


def in_district(address: str) -> bool:
    rest = address.removeprefix("福岡県みどり郡").removeprefix("みどり町")
    return any(rest.startswith(d) for d in districts())


def test_one_list_of_districts() -> None:
    names = districts()
    assert len(names) == 20
    with open(TOWN / "garbage" / "area_days.csv", encoding="utf-8") as f:
        assert [row[0] for row in csv.reader(f)][1:] == names
    nlu = (TOWN / "nlu" / "nlu.yml").read_text(encoding="utf-8")
    lookup = re.search(r"- lookup: area\n  examples: \|\n((?:    - .*\n)+)", nlu)
    assert lookup and sorted(line[6:] for line in lookup.group(1).splitlines()) == sorted(names)
    with open(TOWN / "dialogues" / "places.csv", encoding="utf-8") as f:
        places = {row["name"] for row in csv.DictReader(f)}
    assert set(names) <= places


def test_every_address_is_in_a_district() -> None:
    facilities = yml("facilities.yml")["facilities"]
    assert [f["address"] for f in facilities if not in_district(f["address"])] == []
    in_town = [p["address"] for p in yml("places.yml") if p["address"].startswith("みどり町")]
    assert in_town and [a for a in in_town if not in_district(a)] == []
    procedures = yml("procedures/town.yaml")
    assert procedures["address_prefix"] == "福岡県みどり郡みどり町"
    assert [n for n in procedures["postal_codes"].values() if n and n not in districts()] == []
    town = yml("dialogues/town.yml")
    assert "福岡県みどり郡みどり町" in town["address_prefixes"]


def test_one_number_per_department() -> None:
    numbers = directory()
    assert numbers["役場代表"] == "0000-00-1111" and len(numbers) >= 15
    everything = "\n".join(p.read_text(encoding="utf-8") for p in TOWN.rglob("*")
                           if p.is_file() and p.suffix in {".yml", ".yaml", ".csv", ".md"})
    assert {n for n in PHONE.findall(everything) if not n.startswith("0000-00-")} == set()
    procedures = yml("procedures/town.yaml")
    assert procedures["phone"] == numbers["役場代表"]
    for counter in procedures["counters"]:
        if "phone" in counter:
            assert counter["phone"] == numbers[counter["department"].replace(" ", "")], counter
    # wherever a department is named with a number, it is its number
    wrong = {(dept, n) for dept, n in re.findall(r"([^\s（(、。：:「」]+?)[（(\s]?(0000-00-\d{4})", everything)
             if dept in numbers and numbers[dept] != n}
    assert wrong == set()
    arena = next(f for f in yml("facilities.yml")["facilities"] if f["code"] == "arena")
    assert arena["phone"] == numbers["総合体育館"]
