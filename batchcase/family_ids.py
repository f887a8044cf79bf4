"""Family Ids that differ from another only by a typo or by zero padding.

A mother typed under FAM-O301 instead of FAM-0301 splits one trio into two
incomplete families, and each gets its own errors. This module names the
Family Id that was likely meant. It only pairs a family of relatives with
no proband with one that has a proband and room for those relatives, so
sequential ids such as FAM-0301 and FAM-0302 are never reported on their
own.

Speed: 33,000 families must not mean 10^9 comparisons. Ids differing only
in case or zero padding share a case-folded, zero-less key. For one-edit
typos, a few families without a proband have every id one edit away from
theirs looked up among the others'; many are indexed by their
one-character deletions (ids one edit apart share one, and so do ids with
two neighbours swapped) and each other id probes that index. Only ids
found so are compared.
"""

from __future__ import annotations

import re
import string
from collections import Counter, defaultdict

from batchcase import columns as col
from batchcase.findings import Finding, warning

PARENTS = ("mother", "father")
RELATIVES = {"mother", "father", "sibling"}
LOOKALIKES = ({"O", "0"}, {"I", "1"}, {"L", "1"}, {"S", "5"}, {"B", "8"}, {"Z", "2"})
_SHAPES = str.maketrans(
    string.ascii_letters + string.digits, "A" * 52 + "9" * len(string.digits)
)
# How sure a kind of difference makes us, most sure first.
RANKS = {
    "letter case": 0,
    "zero padding": 0,
    "look-alike": 1,
    "transposition": 1,
    "one character": 2,
}


def check_typos(families) -> list[Finding]:
    """A warning for each family whose Family Id looks like a typo of another's."""
    complete, incomplete = [], []
    for family in families:
        (incomplete if family.proband is None else complete).append(family)
    if not incomplete or not complete:
        return []

    pairs = _likely_pairs(complete, incomplete)
    if not pairs:
        return []
    shapes = Counter(_shape(f.family_id) for f in families)
    findings, reported = [], set()
    for pair in pairs:
        typo, meant = _direction(*pair, shapes)
        if typo.family_id not in reported:
            reported.add(typo.family_id)
            findings.append(_typo_warning(typo, meant))
    return findings


def _likely_pairs(complete, incomplete):
    """(family without proband, the family with a proband it likely belongs to)."""
    candidates = defaultdict(list)
    for orphan, family, kind in _complete_neighbours(complete, incomplete):
        if _room_for(orphan, family):
            candidates[id(orphan)].append((orphan, family, kind))

    pairs = []
    for found in candidates.values():
        orphan, family, _ = min(found, key=_preference)
        pairs.append((orphan, family))
    return pairs


def _complete_neighbours(families, incomplete):
    """Yield (incomplete, complete, kind) for ids one typo apart."""
    complete = defaultdict(list)
    for family in families:
        if family.family_id:
            complete[family.family_id].append(family)
    alphabet = set("".join(complete))

    # Few orphans: try every id one edit away; many: scan every complete id.
    if len(incomplete) * len(alphabet) * 2 < len(complete):
        near = _generated_neighbours(incomplete, complete, alphabet)
    else:
        near = _scanned_neighbours(incomplete, complete)
    for orphan, fid in near:
        kind = typo_kind(orphan.family_id, fid)
        if kind:
            yield from ((orphan, family, kind) for family in complete[fid])


def _generated_neighbours(incomplete, complete, alphabet):
    by_zeros = defaultdict(list)
    for fid in complete:
        by_zeros[_without_zeros(fid)].append(fid)
    for orphan in incomplete:
        oid = orphan.family_id
        near = set(by_zeros.get(_without_zeros(oid), ()))
        near.update(fid for fid in _one_edit(oid, alphabet) if fid in complete)
        yield from ((orphan, fid) for fid in near)


def _one_edit(fid: str, alphabet):
    """Every string one deletion, insertion, substitution or swap away from fid."""
    for i in range(len(fid) + 1):
        head, tail = fid[:i], fid[i:]
        yield head + tail[1:]
        yield head + tail[1:2] + tail[:1] + tail[2:]
        for char in alphabet:
            yield head + char + tail
            yield head + char + tail[1:]


def _scanned_neighbours(incomplete, complete):
    by_deletion, by_zeros = defaultdict(list), defaultdict(list)
    for orphan in incomplete:
        for key in _deletions(orphan.family_id):
            by_deletion[key].append(orphan)
        by_zeros[_without_zeros(orphan.family_id)].append(orphan)
    lengths = {len(o.family_id) + d for o in incomplete for d in (-1, 0, 1)}

    for fid in complete:
        near = list(by_zeros.get(_without_zeros(fid), ()))
        if len(fid) in lengths:
            for key in _deletions(fid):
                near += by_deletion.get(key, ())
        yield from ((orphan, fid) for orphan in {id(o): o for o in near}.values())


def _deletions(fid: str) -> list[str]:
    """The id and each id one character shorter: one-typo neighbours share one."""
    return [fid] + [fid[:i] + fid[i + 1 :] for i in range(len(fid))]


def _without_zeros(fid: str) -> str:
    """A cheap key equal for ids of one normal_id (and a few more)."""
    return fid.casefold().replace("0", "")


def normal_id(fid: str) -> str:
    """The id with letter case folded and zeros leading each number stripped."""
    return re.sub(r"\d+", lambda m: m.group().lstrip("0") or "0", fid.casefold())


def typo_kind(a: str, b: str) -> str | None:
    """How two different ids differ, if only by one typo; else None."""
    if a == b:
        return None
    if a.casefold() == b.casefold():
        return "letter case"
    if normal_id(a) == normal_id(b):
        return "zero padding"
    if len(a) == len(b):
        return _same_length_kind(a, b)
    short, long = sorted((a, b), key=len)
    if len(long) - len(short) != 1:
        return None
    pairs = zip(short, long[: len(short)], strict=True)
    i = next((i for i, (x, y) in enumerate(pairs) if x != y), len(short))
    return "one character" if short[i:] == long[i + 1 :] else None


def _same_length_kind(a: str, b: str) -> str | None:
    diffs = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
    if len(diffs) == 1:
        i = diffs[0]
        pair = {a[i].upper(), b[i].upper()}
        return "look-alike" if pair in LOOKALIKES else "one character"
    if len(diffs) == 2 and diffs[1] == diffs[0] + 1:
        i, j = diffs
        if a[i] == b[j] and a[j] == b[i]:
            return "transposition"
    return None


def _room_for(orphan, family) -> bool:
    """The orphan rows are relatives, and no second mother or father for family."""
    add = Counter(m.role for m in orphan.members)
    if not set(add) <= RELATIVES:
        return False  # a row that claims to be a proband is not a stray relative
    have = Counter(m.role for m in family.members)
    return all(have[role] + add[role] <= 1 for role in PARENTS)


def _preference(candidate):
    """Families the orphan rows complete first, then surer typos, then sheet order."""
    orphan, family, kind = candidate
    size = declared_size(family)
    fills = size == len(family.members) + len(orphan.members)
    return (not fills, RANKS[kind], family.members[0].line)


def declared_size(family) -> int | None:
    """The pedigree size the proband's Analysis Workflow asks for, if any."""
    proband = family.proband
    workflow = proband.get(col.ANALYSIS_WORKFLOW) if proband else ""
    match = re.search(r"_(\d+)$", workflow)
    return int(match.group(1)) if match else None


def _shape(fid: str) -> str:
    """FAM-0301 -> AAA-9999: how the sheet writes its ids."""
    return fid.translate(_SHAPES)


def _direction(orphan, family, shapes):
    """(typo, meant): the id on fewer rows is the typo; then the rarer shape."""

    def weight(f):
        return (len(f.members), shapes[_shape(f.family_id)], f.proband is not None)

    return (orphan, family) if weight(orphan) < weight(family) else (family, orphan)


def _typo_warning(typo, meant) -> Finding:
    kind = typo_kind(typo.family_id, meant.family_id)
    how = f"only by {kind}" if kind in ("letter case", "zero padding") else "by a typo"
    first = typo.members[0]
    column = _id_column(first, typo.family_id)
    rows = "its row" if len(typo.members) == 1 else "its rows"
    return warning(
        "family-id-typo",
        f"{column or 'Family Id'} {typo.family_id!r} ({_describe(typo)}) differs "
        f"{how} from "
        f"{meant.family_id!r} ({_describe(meant)}); if they are one family, write "
        f"{meant.family_id!r} on {rows}",
        line=first.line,
        column=column,
        value=typo.family_id,
        family=typo.family_id,
    )


def _describe(family) -> str:
    lines = ", ".join(str(m.line) for m in family.members)
    roles = ", ".join(m.role or "no relation" for m in family.members)
    label = "line" if len(family.members) == 1 else "lines"
    proband = "" if family.proband else ", no proband"
    return f"{label} {lines}: {roles}{proband}"


def _id_column(member, fid: str) -> str | None:
    for name in (col.FAMILY_ID, col.ANALYSIS_GROUP):
        if member.get(name) == fid:
            return name
    return None
