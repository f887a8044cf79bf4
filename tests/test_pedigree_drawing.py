"""The pedigree drawing: layout, standard symbols, and escaping of sheet values."""

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from batchcase.findings import error
from batchcase.pedigree_drawing import SIZE, layout, pedigree_svg

SVG = "{http://www.w3.org/2000/svg}"
SHAPES = {"male": "rect", "female": "circle", "unknown": "polygon"}


def patient(name, relationship, gender, healthy, **extra):
    return {
        "fastq_sample": name,
        "pending_sample_name": "",
        "gender": gender,
        "relationship": relationship,
        "healthy": healthy,
        **extra,
    }


def trio(**proband):
    return {
        "proband": patient("P1", "Test Subject", "Male", False, **proband),
        "mother": patient("M1", "Mother", "Female", True),
        "father": patient("F1", "Father", "Male", True),
    }


def members(svg) -> dict:
    """Each drawn member by its label: (role, sex, affected, shape, fill, arrow)."""
    root = ET.fromstring(str(svg))
    drawn = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "member":
            continue
        shape = group.find("*[@class='symbol']")
        arrow = group.find(f"{SVG}g[@class='proband-arrow']")
        label = group.find(f"{SVG}text").text
        drawn[label] = (
            group.get("data-role"),
            group.get("data-sex"),
            group.get("data-affected"),
            shape.tag.removeprefix(SVG),
            shape.get("fill"),
            arrow is not None,
        )
    return drawn


def lines(svg) -> dict:
    root = ET.fromstring(str(svg))
    found = {}
    for line in root.iter(f"{SVG}line"):
        if line.get("class", "").endswith("-line"):
            found.setdefault(line.get("class"), []).append(line)
    return found


def test_trio_draws_father_square_mother_circle_and_an_affected_proband():
    drawn = members(pedigree_svg(trio()))

    assert drawn == {
        "P1": ("proband", "male", "true", "rect", "#37474f", True),
        "M1": ("mother", "female", "false", "circle", "#fff", False),
        "F1": ("father", "male", "false", "rect", "#fff", False),
    }


def test_unknown_sex_is_a_diamond():
    patients = {"proband": patient("P1", "Test Subject", "Unknown", True)}

    assert members(pedigree_svg(patients))["P1"][1:4] == ("unknown", "false", "polygon")


def test_parents_sit_above_the_child_joined_by_a_marriage_line():
    drawing = layout(trio())
    by_name = {s.name: s for s in drawing.symbols}
    father, mother, proband = by_name["F1"], by_name["M1"], by_name["P1"]

    assert father.y == mother.y < proband.y
    assert father.x < proband.x < mother.x  # father on the left, by convention
    kinds = [line[0] for line in drawing.lines]
    assert kinds == ["marriage", "descent", "sibship", "child"]
    _, x1, y1, x2, y2 = drawing.lines[0]
    assert (x1, x2) == (father.x + SIZE / 2, mother.x - SIZE / 2)
    assert y1 == y2 == father.y


def test_siblings_share_a_sibship_line_in_birth_order():
    patients = trio(date_of_birth="2018-03-03")
    patients["other"] = [
        patient("S1", "Sibling", "Female", False, date_of_birth="2015-05-05")
    ]
    drawing = layout(patients)
    by_name = {s.name: s for s in drawing.symbols}

    assert by_name["S1"].x < by_name["P1"].x  # the older sibling is drawn first
    sibship = next(line for line in drawing.lines if line[0] == "sibship")
    assert (sibship[1], sibship[3]) == (by_name["S1"].x, by_name["P1"].x)
    assert [line[0] for line in drawing.lines].count("child") == 2
    assert members(pedigree_svg(patients))["S1"][:3] == ("sibling", "female", "true")


def test_a_singleton_has_no_lines():
    patients = {"proband": patient("P1", "Test Subject", "Female", False)}

    assert layout(patients).lines == []
    assert lines(pedigree_svg(patients)) == {}


def test_a_member_with_findings_is_outlined_in_red_with_the_message():
    finding = error("parent-sex", "the mother is recorded as male", line=6)
    svg = pedigree_svg(trio(), [finding], {"M1": [6], "P1": [5]})
    root = ET.fromstring(str(svg))

    mother = root.find(f".//{SVG}g[@data-role='mother']")
    assert mother.get("data-findings") == "1"
    assert mother.find("*[@class='symbol']").get("stroke") == "#c62828"
    assert "the mother is recorded as male" in mother.find(f"{SVG}title").text
    proband = root.find(f".//{SVG}g[@data-role='proband']")
    assert proband.get("data-findings") == "0"


@pytest.mark.parametrize(
    "name",
    ["<script>alert(1)</script>", '=HYPERLINK("http://x","y")', 'A&B "q"'],
    ids=["script", "formula", "ampersand-quotes"],
)
def test_sheet_values_are_text_in_the_svg(name):
    patients = {"proband": patient(name, "Test Subject", "Female", False)}
    svg = str(pedigree_svg(patients, title=name))

    assert "<script" not in svg
    root = ET.fromstring(svg)  # still well-formed XML
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert f"Pedigree of {name}" in titles
    assert any(t.startswith(name) for t in titles)


def test_a_long_biosample_name_is_shortened_under_the_symbol():
    name = "LAB-2026-11-30-EXOME-000123"
    patients = {"proband": patient(name, "Test Subject", "Female", False)}
    svg = pedigree_svg(patients)

    assert list(members(svg)) == ["LAB-2026-11-30-…"]
    title = ET.fromstring(str(svg)).find(f".//{SVG}g/{SVG}title").text
    assert title.startswith(name)  # the full name shows on hover


def test_drawing_does_not_import_pandas():
    code = (
        "import sys, batchcase.pedigree_drawing, batchcase.report; "
        "print('pandas' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
