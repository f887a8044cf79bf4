"""Every oracle sheet Emedgene's tool refused on the client side, refused by us.

The sheets are in ../shared/oracle/inputs; the line and column are where a
person must look to fix each one.
"""

import pytest
from click.testing import CliRunner
from conftest import ORACLE, needs_oracle

from batchcase.cli import main

pytestmark = needs_oracle

REFUSED = {
    "x01_relation_capital_proband": [("relation", 3, "Relation")],
    "x03_sex_x": [("sex", 3, "Sex")],
    "x04_hpo_without_prefix": [("hpo-id", 3, "Phenotypes Id")],
    "x05_storage_id_abc": [("digits", 3, "Storage Provider Id")],
    "x06_missing_data_row": [("data-section-missing", 1, None)],
    "x07_missing_required_columns": [
        ("column-missing", 2, "Case Type"),
        ("column-missing", 2, "Sex (or Gender)"),
    ],
    "x09_bad_field_formats": [
        ("boolean", 3, "Execute Now"),
        ("digits", 3, "Gene List Id"),
        ("digits", 3, "Kit Id"),
        ("digits", 3, "Intersect Bed Id"),
        ("boolean", 3, "Boost Genes"),
        ("excel-date", 3, "Due Date"),
        ("digits", 3, "Label Id"),
        ("boolean", 3, "Opt In"),
        ("date", 3, "Date Of Birth"),
        ("biosample-whitespace", 3, "BioSample Name"),
    ],
    "x14_auto_files_problems": [("project-required", 4, "Default Project")],
    "x15_missing_phenotypes_and_files": [
        ("proband-files", 3, "Files Names"),
        ("phenotypes-missing", 5, "Phenotypes"),
    ],
}

# Refused only after asking the server: they pass local validation.
SERVER_SIDE = [
    "x10_server_rejects_dry_run",
    "x11_existing_sample_not_found",
    "x12_storage_not_found_on_server",
]


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_with_a_finding_on_the_right_line(name):
    import json

    sheet = ORACLE / "inputs" / f"{name}.csv"
    result = CliRunner().invoke(main, ["validate", str(sheet), "--format", "json"])

    assert result.exit_code == 1, result.output
    found = {
        (f["rule"], f["line"], f["column"])
        for f in json.loads(result.output)["findings"]
        if f["severity"] == "error"
    }
    assert set(REFUSED[name]) <= found


@pytest.mark.parametrize("name", SERVER_SIDE)
def test_server_side_refusals_pass_local_validation(name):
    sheet = ORACLE / "inputs" / f"{name}.csv"
    result = CliRunner().invoke(main, ["validate", str(sheet)])
    assert result.exit_code == 0, result.output
