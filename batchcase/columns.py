"""The header names of the BioSample Workflow sheet and the Batch Upload CSV."""

import functools

# Columns A-J of the BioSample Workflow sheet, in order.
BIOSAMPLE_NAME = "BioSample Name"
DEFAULT_PROJECT = "Default Project"
CONTAINER_NAME = "Container Name"
CONTAINER_POSITION = "Container Position"
PREP_REQUEST = "Prep Request"
REQUIRED_YIELD = "Required Yield Gbp"
ANALYSIS_WORKFLOW = "Analysis Workflow"
ANALYSIS_GROUP = "Analysis Group"
SAMPLE_LABEL = "Sample Label"
DELIVERY_MODE = "Delivery Mode"

WORKFLOW_COLUMNS = (
    BIOSAMPLE_NAME,
    DEFAULT_PROJECT,
    CONTAINER_NAME,
    CONTAINER_POSITION,
    PREP_REQUEST,
    REQUIRED_YIELD,
    ANALYSIS_WORKFLOW,
    ANALYSIS_GROUP,
    SAMPLE_LABEL,
    DELIVERY_MODE,
)

# The Emedgene Batch Upload fields (columns K onwards of the workflow sheet).
FAMILY_ID = "Family Id"
CASE_TYPE = "Case Type"
FILES_NAMES = "Files Names"
SAMPLE_TYPE = "Sample Type"
VISUALIZATION_FILES = "Visualization Files"
STORAGE_PROVIDER_ID = "Storage Provider Id"
EXECUTE_NOW = "Execute Now"
EXECUTE_NOW_WEB = "Execute now"  # the spelling of Emedgene's web page
RELATION = "Relation"
SEX = "Sex"
GENDER = "Gender"
PHENOTYPES = "Phenotypes"
PHENOTYPES_ID = "Phenotypes Id"
DATE_OF_BIRTH = "Date Of Birth"
BOOST_GENES = "Boost Genes"
GENE_LIST_ID = "Gene List Id"
KIT_ID = "Kit Id"
INTERSECT_BED_ID = "Intersect Bed Id"
SELECTED_PRESET = "Selected Preset"
LABEL_ID = "Label Id"
CLINICAL_NOTES = "Clinical Notes"
DUE_DATE = "Due Date"
OPT_IN = "Opt In"
CASE_ID = "Case Id"  # written by a previous run: the family is already a case

BATCH_UPLOAD_FIELDS = (
    FAMILY_ID,
    CASE_TYPE,
    FILES_NAMES,
    SAMPLE_TYPE,
    BIOSAMPLE_NAME,
    VISUALIZATION_FILES,
    STORAGE_PROVIDER_ID,
    DEFAULT_PROJECT,
    EXECUTE_NOW,
    EXECUTE_NOW_WEB,
    RELATION,
    SEX,
    GENDER,
    PHENOTYPES,
    PHENOTYPES_ID,
    DATE_OF_BIRTH,
    BOOST_GENES,
    GENE_LIST_ID,
    KIT_ID,
    INTERSECT_BED_ID,
    SELECTED_PRESET,
    LABEL_ID,
    CLINICAL_NOTES,
    DUE_DATE,
    OPT_IN,
    CASE_ID,
)

KNOWN_COLUMNS = frozenset(WORKFLOW_COLUMNS) | frozenset(BATCH_UPLOAD_FIELDS)

# Fields that describe the case, not the member: taken from the proband row.
CASE_LEVEL_FIELDS = (
    CASE_TYPE,
    EXECUTE_NOW,
    EXECUTE_NOW_WEB,
    BOOST_GENES,
    GENE_LIST_ID,
    KIT_ID,
    INTERSECT_BED_ID,
    SELECTED_PRESET,
    LABEL_ID,
    CLINICAL_NOTES,
    DUE_DATE,
    OPT_IN,
)

# Columns the plain Batch Upload CSV must have (Sex or Gender counts as one).
REQUIRED_BATCH_UPLOAD = (FAMILY_ID, CASE_TYPE, FILES_NAMES)
REQUIRED_WORKFLOW = (BIOSAMPLE_NAME, DEFAULT_PROJECT, ANALYSIS_WORKFLOW, ANALYSIS_GROUP)


def normalise_header(name: str) -> str:
    """A header folded for "did you mean": case, spaces and NBSPs ignored."""
    return "".join(name.replace("\u00a0", " ").split()).casefold()


_BY_NORMAL = {normalise_header(name): name for name in KNOWN_COLUMNS}


def near_miss(name: str) -> str | None:
    """The known header `name` was meant as (case, spacing or a letter off)."""
    if name in KNOWN_COLUMNS:
        return None
    folded = normalise_header(name)
    if folded in _BY_NORMAL:
        return _BY_NORMAL[folded]
    return _closest(folded)


@functools.cache
def _closest(folded: str) -> str | None:
    import difflib

    close = difflib.get_close_matches(folded, _BY_NORMAL, n=1, cutoff=0.88)
    return _BY_NORMAL[close[0]] if close else None
