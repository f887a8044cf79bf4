"""The vectorised screen never lets a family that breaks a rule through.

Hypothesis writes valid workflow sheets and Batch Upload CSVs, then plants
one to three mistakes; the findings with the screen must equal the findings
of checking every family one by one.
"""

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from batchcase.pedigree import PedigreeOptions, check_pedigrees, family_keys
from batchcase.sheet import parse_sheet

HEADER = [
    "BioSample Name",
    "Default Project",
    "Analysis Workflow",
    "Analysis Group",
    "Family Id",
    "Case Type",
    "Files Names",
    "Sample Type",
    "Relation",
    "Sex",
    "Phenotypes Id",
    "Kit Id",
]
# Each mistake: (column, values it may take).
MISTAKES = {
    "BioSample Name": ["P0", "p0", "M1", ""],
    "Analysis Workflow": [
        "",
        "emedgene-create-case_1",
        "emedgene-create-case_3",
        "x_3",
    ],
    "Analysis Group": ["G0", "G1", ""],
    "Family Id": ["", "FAM-G0", "FAM-G1", "OTHER"],
    "Case Type": ["", "Whole Genome"],
    "Files Names": ["", "/r/x.vcf.gz", "/r/x.fastq.gz", "auto", "/r/id"],
    "Sample Type": ["", "VCF", "fastq"],
    "Relation": ["proband", "mother", "father", "sibling", "", "Father"],
    "Sex": ["M", "F", "U", "", "x"],
    "Kit Id": ["", "7", "9"],
}


def family_rows(n, trio, fid):
    base = {
        "Default Project": "P",
        "Family Id": f"FAM-G{n}" if fid else "",
        "Analysis Group": f"G{n}",
        "Phenotypes Id": "HP:0000001",
        "Files Names": f"/r/{n}.fastq.gz",
        "Sample Type": "",
        "Kit Id": "7",
    }
    proband = dict(
        base,
        **{
            "BioSample Name": f"P{n}",
            "Analysis Workflow": f"emedgene-create-case_{3 if trio else 1}",
            "Case Type": "Exome",
            "Relation": "proband",
            "Sex": "F",
        },
    )
    if not trio:
        return [proband]
    parents = [
        dict(
            base,
            **{
                "BioSample Name": f"{r[0].upper()}{n}",
                "Analysis Workflow": "",
                "Case Type": "",
                "Relation": r,
                "Sex": s,
            },
        )
        for r, s in (("mother", "F"), ("father", "M"))
    ]
    return [proband] + parents


@st.composite
def sheets(draw):
    fid = draw(st.booleans())
    shapes = draw(st.lists(st.booleans(), min_size=1, max_size=4))
    rows = [r for n, trio in enumerate(shapes) for r in family_rows(n, trio, fid)]
    for _ in range(draw(st.integers(1, 3))):
        row = draw(st.integers(0, len(rows) - 1))
        column = draw(st.sampled_from(sorted(MISTAKES)))
        rows[row][column] = draw(st.sampled_from(MISTAKES[column]))
    rows = draw(st.permutations(rows))
    header = HEADER
    if draw(st.booleans()):  # a Batch Upload CSV: Family Id is the pedigree
        header = [c for c in HEADER if not c.startswith("Analysis")]
        for row in rows:
            row["Family Id"] = row["Family Id"] or row["Analysis Group"]
    text = "[Data]\n" + ",".join(header) + "\n"
    text += "".join(",".join(r[c] for c in header) + "\n" for r in rows)
    return parse_sheet(text, Path("sheet.csv"))


def findings(sheet, screen):
    options = PedigreeOptions(sizes=(1, 3))
    found = check_pedigrees(sheet, options, family_keys(sheet), screen=screen)
    return sorted((f.rule, f.line, f.column, f.message) for f in found)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sheets())
def test_screen_finds_every_family_the_rules_would(sheet):
    assert findings(sheet, screen=True) == findings(sheet, screen=False)
