"""Empty sheets with the right headers, for `batchcase template`."""

from batchcase import columns as col

WORKFLOW_CASE_FIELDS = (
    col.CASE_TYPE,
    col.FILES_NAMES,
    col.SAMPLE_TYPE,
    col.STORAGE_PROVIDER_ID,
    col.VISUALIZATION_FILES,
    col.RELATION,
    col.SEX,
    col.PHENOTYPES,
    col.PHENOTYPES_ID,
    col.DATE_OF_BIRTH,
    col.EXECUTE_NOW,
    col.BOOST_GENES,
    col.GENE_LIST_ID,
    col.KIT_ID,
    col.INTERSECT_BED_ID,
    col.SELECTED_PRESET,
    col.LABEL_ID,
    col.CLINICAL_NOTES,
    col.DUE_DATE,
    col.OPT_IN,
)

# Emedgene's Batch Upload columns in its order, without the alternative
# spellings (Execute now, Gender) and the Case Id a run writes.
BATCH_UPLOAD_HEADER = tuple(
    name
    for name in col.BATCH_UPLOAD_FIELDS
    if name not in (col.EXECUTE_NOW_WEB, col.GENDER, col.CASE_ID)
)


def sheet_template(kind: str = "workflow") -> str:
    """The preamble and header row of an empty sheet of `kind`."""
    if kind == "workflow":
        header = col.WORKFLOW_COLUMNS + WORKFLOW_CASE_FIELDS
        return "[Header]\r\nFileVersion,1\r\n[Data]\r\n" + ",".join(header) + "\r\n"
    return "[Data]\r\n" + ",".join(BATCH_UPLOAD_HEADER) + "\r\n"
