"""Family Ids that differ from another only by a typo or by zero padding."""

import json

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_SHEETS, trio_rows

from batchcase import family_ids
from batchcase.cli import main
from batchcase.family_ids import check_typos, typo_kind
from batchcase.pedigree import Family, Member

BATCH_HEADER = "Family Id,Case Type,Files Names,Sample Type,BioSample Name,Relation,Sex"


def member(family_id, name, relation="proband", sex="F"):
    """A Batch Upload row; blank Relation means proband."""
    return f"{family_id},Exome,,FASTQ,{name},{relation},{sex}"


@pytest.fixture
def findings(write_sheet):
    """Validate a Batch Upload sheet through the CLI; its family-id-typo findings."""

    def run(rows):
        path = write_sheet(rows, header=BATCH_HEADER, preamble="[Data]\n")
        args = ["validate", str(path), "--format", "json"]
        result = CliRunner().invoke(main, args)
        assert result.exit_code in (0, 1), result.output
        data = json.loads(result.output)
        return [f for f in data["findings"] if f["rule"] == "family-id-typo"]

    return run


@pytest.mark.parametrize(
    "a, b, kind",
    [
        ("FAM-012", "FAM-0012", "zero padding"),
        ("FAM-12", "FAM-0012", "zero padding"),
        ("fam-0301", "FAM-0301", "letter case"),
        ("FAM-O301", "FAM-0301", "look-alike"),
        ("FAM-0301", "FAM-0310", "transposition"),
        ("FAM-0301", "FAM-0311", "one character"),
        ("FAM-031", "FAM-0301", "one character"),
        ("FAM-301", "FAM-3011", "one character"),
        ("FAM-0301", "FAM-0413", None),
        ("FAM-0301", "FAM-030111", None),
        ("FAM-0301", "FAM-0301", None),
    ],
    ids=lambda v: str(v),
)
def test_typo_kind(a, b, kind):
    assert typo_kind(a, b) == kind
    assert typo_kind(b, a) == kind


def test_a_relative_under_a_mistyped_id_names_the_intended_family(findings):
    [finding] = findings(
        [
            member("FAM-0301", "LAB-1"),
            member("FAM-0310", "LAB-2", "mother"),
            member("FAM-0301", "LAB-3", "father", "M"),
        ]
    )
    assert finding == {
        "severity": "warning",
        "line": 4,
        "column": "Family Id",
        "value": "FAM-0310",
        "rule": "family-id-typo",
        "message": "Family Id 'FAM-0310' (line 4: mother, no proband) differs by a "
        "typo from 'FAM-0301' (lines 3, 5: proband, father); if they are one "
        "family, write 'FAM-0301' on its row",
    }


def test_zero_padding_is_named_as_such(findings):
    [finding] = findings(
        [
            member("FAM-0012", "LAB-1"),
            member("FAM-0012", "LAB-2", "mother"),
            member("FAM-012", "LAB-3", "father", "M"),
        ]
    )
    assert (finding["line"], finding["value"]) == (5, "FAM-012")
    assert finding["message"].startswith(
        "Family Id 'FAM-012' (line 5: father, no proband) differs only by zero "
        "padding from 'FAM-0012' (lines 3, 4: proband, mother)"
    )


def test_a_mistyped_proband_row_is_the_one_reported(findings):
    [finding] = findings(
        [
            member("FAM-O301", "LAB-1"),
            member("FAM-0301", "LAB-2", "mother"),
            member("FAM-0301", "LAB-3", "father", "M"),
        ]
    )
    assert (finding["line"], finding["value"]) == (3, "FAM-O301")
    assert finding["message"].endswith("write 'FAM-0301' on its row")


def test_sequential_complete_families_are_not_typos(findings):
    rows = [member(f"FAM-030{n}", f"LAB-{n}") for n in range(1, 10)]
    assert findings(rows) == []


def test_no_warning_when_the_neighbour_already_has_that_parent(findings):
    rows = [
        member("FAM-0301", "LAB-1"),
        member("FAM-0301", "LAB-2", "mother"),
        member("FAM-0310", "LAB-3", "mother"),
    ]
    assert findings(rows) == []


def test_a_proband_without_its_workflow_is_not_taken_for_a_relative():
    sheet = SAMPLE_SHEETS / "invalid" / "parent_sex_and_missing_member.csv"
    result = CliRunner().invoke(main, ["validate", str(sheet), "--format", "json"])
    rules = {f["rule"] for f in json.loads(result.output)["findings"]}
    assert "workflow-missing" in rules  # FAM-0621 next to FAM-0601, which lacks
    assert "family-id-typo" not in rules  # a father: still a family of its own


def test_the_family_the_rows_complete_is_preferred(write_sheet):
    rows = trio_rows("FAM-0311", prefix="A")
    rows += [trio_rows("FAM-0300", prefix="B")[0].replace("case_3", "case_1")]
    rows += trio_rows("FAM-0301", prefix="C")
    rows[-2] = rows[-2].replace("FAM-0301", "FAM-0310")  # C's mother, mistyped
    path = write_sheet(rows)

    result = CliRunner().invoke(main, ["validate", str(path), "--format", "json"])
    [finding] = [
        f
        for f in json.loads(result.output)["findings"]
        if f["rule"] == "family-id-typo"
    ]
    assert (finding["line"], finding["column"]) == (10, "Analysis Group")
    assert finding["message"] == (
        "Analysis Group 'FAM-0310' (line 10: mother, no proband) differs by a typo "
        "from 'FAM-0301' (lines 9, 11: proband, father); if they are one family, "
        "write 'FAM-0301' on its row"
    )


def test_33000_families_are_not_compared_pairwise(monkeypatch):
    def family(fid, line, role="proband"):
        return Family(fid, [Member(line, role, {"Family Id": fid})])

    families = [family(f"FAM-{n:05d}", n) for n in range(33_000)]
    families += [
        family(f"FAM-{n:05d}X", 40_000 + n, "mother") for n in range(0, 33_000, 100)
    ]
    calls = []
    original = family_ids.typo_kind
    monkeypatch.setattr(
        family_ids, "typo_kind", lambda a, b: calls.append(1) or original(a, b)
    )

    found = check_typos(families)
    assert len(found) == 330
    assert found[0].message.startswith("Family Id 'FAM-00000X' (line 40000: mother")
    assert len(calls) < 5_000  # all pairs would be over 10 million


@pytest.mark.parametrize("others", [0, 3_000], ids=["scan", "generate"])
def test_every_kind_of_typo_is_found_among_few_or_many_families(others):
    def family(fid, line, role="proband"):
        return Family(fid, [Member(line, role, {"Family Id": fid})])

    meant = ["FAM-0012", "FAM-0301", "FAM-0302", "FAM-0303", "FAM-0304", "FAM-0305"]
    typos = ["FAM-012", "FAM-O301", "FAM-0392", "fam-0303", "FAM-03044", "FAM-0350"]
    families = [family(fid, n) for n, fid in enumerate(meant, 1)]
    families += [family(f"LAB-{n:04d}-X", 100 + n) for n in range(others)]
    families += [family(fid, 10_000 + n, "sibling") for n, fid in enumerate(typos)]

    found = {f.value: f.message.split("from ")[1][:10] for f in check_typos(families)}
    assert found == {typo: repr(fid) for typo, fid in zip(typos, meant, strict=True)}
