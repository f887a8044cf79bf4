"""A vectorised screen for the pedigree rules: which families might break one.

Building 33,000 Family objects to check rules most of them pass takes
seconds; a handful of table operations finds the few that need a look. The
screen may flag a family that turns out fine (pedigree.py then reports
nothing), but it must never pass a family that breaks a rule:
tests/test_pedigree_screen.py checks that on many sheets by comparing with
checking every family.
"""

from __future__ import annotations

import numpy as np

from batchcase import columns as col
from batchcase.pedigree import (
    FATHER,
    LINE_KEY,
    MOTHER,
    PROBAND,
    RELATIONS,
    SEXES,
    PedigreeOptions,
    column_or_blank,
)
from batchcase.sheet import Sheet, SheetKind


def suspicious_keys(sheet: Sheet, keys, options: PedigreeOptions) -> set:
    """The family keys that could break a pedigree rule."""
    rows = _rows(sheet, keys)
    bad = set(rows.loc[_bad_rows(rows), "key"].dropna())
    bad |= _bad_counts(rows, sheet.kind, options)
    bad |= _duplicate_biosamples(rows)
    bad |= _differing_case_fields(sheet, rows)
    bad |= _mixed_sample_types(sheet, rows)
    bad |= _family_id_clashes(sheet, rows)
    bad.discard(None)
    return bad


def by_distinct(series, function):
    """`function` applied once per distinct value of a column."""
    import pandas as pd

    return series.map({v: function(v) for v in pd.unique(series)})


def _rows(sheet: Sheet, keys):
    """One narrow frame: key, role, sex, workflow and the proband's fields."""
    import pandas as pd

    table = sheet.table
    relation = column_or_blank(table, col.RELATION)
    workflow = column_or_blank(table, col.ANALYSIS_WORKFLOW)
    if sheet.kind is SheetKind.WORKFLOW:
        role = relation.where(relation.ne(PROBAND), "").where(workflow.eq(""), PROBAND)
    else:
        role = relation.where(relation.ne(""), PROBAND)

    sex_name = col.SEX if col.SEX in table.columns else col.GENDER
    sex = by_distinct(column_or_blank(table, sex_name), lambda v: SEXES.get(v.lower()))
    unfilled = column_or_blank(table, col.FILES_NAMES).eq("")
    unfilled &= column_or_blank(table, col.SAMPLE_TYPE).eq("")
    if col.CASE_TYPE in table.columns:
        unfilled |= table[col.CASE_TYPE].eq("")
    return pd.DataFrame(
        {
            "key": keys,
            "role": role,
            "relation": relation,
            "sex": sex,
            "workflow": workflow,
            "biosample": column_or_blank(table, col.BIOSAMPLE_NAME),
            "unfilled": unfilled,  # no Case Type, or neither files nor type
        },
        index=table.index,
    )


def _bad_rows(rows):
    """Rows that break a rule on their own: a role, a parent's sex."""
    bad = ~rows["role"].isin(RELATIONS)
    bad |= rows["role"].eq(MOTHER) & rows["sex"].ne("Female")
    bad |= rows["role"].eq(FATHER) & rows["sex"].ne("Male")
    named = rows["workflow"].ne("")
    bad |= named & ~rows["relation"].isin(("", PROBAND))
    bad |= rows["role"].eq(PROBAND) & rows["unfilled"]
    return bad


def _bad_counts(rows, kind, options) -> set:
    """Families without exactly one proband, or with a workflow that misfits."""
    import pandas as pd

    codes, keys = pd.factorize(rows["key"])  # a row without a family gets -1
    has = codes >= 0

    def count(mask):
        return np.bincount(codes[has & mask.to_numpy()], minlength=len(keys))

    role = rows["role"]
    probands = count(role.eq(PROBAND))
    mothers, fathers = count(role.eq(MOTHER)), count(role.eq(FATHER))
    bad = (probands != 1) | (mothers > 1) | (fathers > 1)
    if kind is SheetKind.WORKFLOW:
        named = rows["workflow"].ne("")
        sizes = count(pd.Series(True, index=rows.index))
        bad |= count(named) != 1
        bad |= ~np.isin(sizes, options.sizes)
        bad |= (sizes == 3) & ((mothers != 1) | (fathers != 1))
        bad[_misnamed(rows, named, codes, sizes, options)] = True
    return set(keys[bad])


def _misnamed(rows, named, codes, sizes, options):
    """Codes of families whose workflow is not `<name>_<their size>`."""
    at = named.to_numpy() & (codes >= 0)
    expected = [f"{options.workflow_name}_{n}" for n in sizes[codes[at]]]
    wrong = rows["workflow"].to_numpy()[at] != np.asarray(expected, dtype=object)
    return codes[at][wrong]


def _duplicate_biosamples(rows) -> set:
    names = rows["biosample"]
    folded = list(map(str.casefold, names.tolist()))
    pairs = rows.assign(folded=folded)[names.ne("")]
    return set(pairs.loc[pairs.duplicated(["key", "folded"]), "key"])


def _differing_case_fields(sheet: Sheet, rows) -> set:
    """Relatives whose case-level field differs from their proband's."""
    probands = rows["role"].eq(PROBAND)
    bad = set()
    for name in col.CASE_LEVEL_FIELDS:
        if name not in sheet.table.columns:
            continue
        values = sheet.table[name]
        relatives = ~probands & values.ne("")
        if not relatives.any():
            continue
        first = values[probands].groupby(rows["key"][probands], sort=False).first()
        theirs = rows["key"][relatives].map(first)
        bad |= set(rows["key"][relatives][values[relatives].ne(theirs)])
    return bad


def _mixed_sample_types(sheet: Sheet, rows) -> set:
    """Families with both FASTQ and VCF members (only when the sheet has both)."""
    files = column_or_blank(sheet.table, col.FILES_NAMES)
    stated = column_or_blank(sheet.table, col.SAMPLE_TYPE)
    text = "\n".join(files.tolist() + stated.tolist()).lower()
    if "vcf" not in text or (
        "fastq" not in text
        and "fq" not in text
        and "am" not in text
        and "auto" not in text
        and "existing" not in text
    ):
        return set()  # one kind in the whole sheet: nothing can be mixed

    files, stated = files.str.lower(), stated.str.lower()
    vcf = files.str.contains(r"\.g?vcf(?:\.gz)?\b", regex=True) | stated.eq("vcf")
    fastq = files.str.contains(r"\.(?:fastq|fq)\.gz|\.bam|\.cram|^auto$|^existing$")
    fastq |= stated.eq("fastq")
    both = vcf.groupby(rows["key"]).any() & fastq.groupby(rows["key"]).any()
    return set(both.index[both])


def _family_id_clashes(sheet: Sheet, rows) -> set:
    """A group with two Family Ids; a name on two cases, ignoring letter case."""
    keys = rows["key"]
    given = column_or_blank(sheet.table, col.FAMILY_ID)
    if sheet.kind is SheetKind.WORKFLOW:
        filled = keys.fillna(LINE_KEY)
        fallback = np.where(filled.str.startswith(LINE_KEY), rows["biosample"], filled)
        named = given.where(given.ne(""), fallback)  # as pedigree names the case
    else:
        named = keys.fillna("")
    folded = list(map(str.casefold, named.tolist()))
    pairs = rows[["key"]].assign(given=given, named=folded).dropna()

    shared = pairs.drop_duplicates(["key", "named"])
    shared = shared["key"][shared.duplicated("named", keep=False)]
    if sheet.kind is not SheetKind.WORKFLOW:
        return set(shared)
    split = pairs.drop_duplicates(["key", "given"])
    split = split["key"][split.duplicated("key", keep=False)]
    return set(split) | set(shared)
