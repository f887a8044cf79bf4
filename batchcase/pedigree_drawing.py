"""A case's pedigree laid out in standard notation and drawn as inline SVG.

The drawing works from the `patients` of a planned case body, so it shows
what Emedgene will be told: square male, circle female, diamond unknown sex,
filled when affected (not `healthy`), an arrow on the proband, parents joined
by a marriage line with a line of descent to their children's sibship line.
A member with findings gets a red outline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

SIZE = 36  # side of a symbol
SPACING = 120  # between the centres of neighbours in a generation
GENERATION = 120  # between the centres of parents and children
MARGIN = 44  # room for the proband's arrow and the labels
LABELS_HEIGHT = 56  # two lines of text under the children
LABEL_CHARS = 16  # a longer BioSample Name is shortened; the full one is a tooltip

SEXES = {"male": "male", "m": "male", "female": "female", "f": "female"}
ROLES = {"test subject": "proband", "mother": "mother", "father": "father"}


@dataclass(frozen=True)
class Symbol:
    """One member: where it is drawn and what its symbol says."""

    x: float
    y: float
    role: str
    sex: str
    affected: bool
    name: str
    lines: tuple[int, ...] = ()
    findings: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The BioSample Name, shortened to fit under the symbol."""
        if len(self.name) <= LABEL_CHARS:
            return self.name
        return self.name[: LABEL_CHARS - 1] + "…"

    @property
    def diamond(self) -> str:
        """Points of the unknown-sex diamond, a square turned on its corner."""
        h = SIZE * 0.6
        x, y = self.x, self.y
        return f"{x},{y - h} {x + h},{y} {x},{y + h} {x - h},{y}"

    @property
    def arrow(self) -> tuple[tuple[float, float, float, float], str]:
        """The proband's arrow from below left: its shaft and its head's points."""
        reach = SIZE * 0.4 + 2  # just off the corner of a square or circle
        tip_x, tip_y = self.x - reach, self.y + reach
        shaft = (tip_x - 15, tip_y + 15, tip_x - 4, tip_y + 4)
        head = f"{tip_x},{tip_y} {tip_x - 9},{tip_y + 3} {tip_x - 3},{tip_y + 9}"
        return shaft, head


@dataclass
class Drawing:
    """Symbols and connecting lines of one pedigree, in SVG user units."""

    width: float
    height: float
    symbols: list[Symbol] = field(default_factory=list)
    lines: list[tuple[str, float, float, float, float]] = field(default_factory=list)


def layout(patients: dict, findings=(), lines_of=None) -> Drawing:
    """Place parents above their children; `lines_of` maps a biosample to lines.

    `findings` are the family's findings; each is shown on the member whose
    file line it names.
    """
    lines_of = lines_of or {}
    parents = [patients[k] for k in ("father", "mother") if k in patients]
    children = birth_order([patients["proband"], *patients.get("other", [])])

    columns = max(len(parents), len(children))
    width = columns * SPACING + 2 * MARGIN
    top = MARGIN if parents else MARGIN - GENERATION
    parent_y, child_y = top, top + GENERATION
    drawing = Drawing(width, child_y + SIZE / 2 + LABELS_HEIGHT)

    for x, patient in zip(_centres(len(parents), width), parents, strict=True):
        drawing.symbols.append(symbol(patient, x, parent_y, findings, lines_of))
    for x, patient in zip(_centres(len(children), width), children, strict=True):
        drawing.symbols.append(symbol(patient, x, child_y, findings, lines_of))

    drawing.lines = connecting_lines(drawing.symbols, parent_y, child_y)
    return drawing


def birth_order(children: list[dict]) -> list[dict]:
    """Oldest first when every child has a date of birth; else as listed."""
    if all(child.get("date_of_birth") for child in children):
        return sorted(children, key=lambda child: child["date_of_birth"])
    return children


def symbol(patient: dict, x, y, findings, lines_of) -> Symbol:
    """The symbol of one patient of the body, with the findings on its lines."""
    name = patient.get("fastq_sample") or patient.get("pending_sample_name") or ""
    relationship = str(patient.get("relationship", "")).casefold()
    lines = tuple(lines_of.get(name, ()))

    return Symbol(
        x=x,
        y=y,
        role=ROLES.get(relationship, "sibling"),
        sex=SEXES.get(str(patient.get("gender", "")).casefold(), "unknown"),
        affected=not patient.get("healthy", False),
        name=name,
        lines=lines,
        findings=tuple(f.message for f in findings if f.line in lines),
    )


def connecting_lines(symbols: list[Symbol], parent_y, child_y) -> list[tuple]:
    """Marriage line, line of descent, sibship line and one drop per child."""
    parents = [s for s in symbols if s.y == parent_y]
    children = [s for s in symbols if s.y == child_y]
    sibship_y = child_y - SIZE / 2 - 24
    result = []

    if len(parents) == 2:
        left, right = parents
        right_edge, left_edge = left.x + SIZE / 2, right.x - SIZE / 2
        result.append(("marriage", right_edge, parent_y, left_edge, parent_y))
    if parents:
        x = sum(p.x for p in parents) / len(parents)
        start = parent_y if len(parents) == 2 else parent_y + SIZE / 2
        result.append(("descent", x, start, x, sibship_y))

    if parents or len(children) > 1:
        xs = [c.x for c in children]
        result.append(("sibship", min(xs), sibship_y, max(xs), sibship_y))
        result += [("child", c.x, sibship_y, c.x, c.y - SIZE / 2) for c in children]
    return result


def _centres(count: int, width: float) -> list[float]:
    """x of `count` symbols spaced evenly around the middle of the drawing."""
    first = width / 2 - (count - 1) * SPACING / 2
    return [first + n * SPACING for n in range(count)]


@cache
def _environment() -> Environment:
    return Environment(loader=PackageLoader("batchcase", "templates"), autoescape=True)


def render_svg(drawing: Drawing, title: str = "") -> Markup:
    """The drawing as an inline <svg> element; every sheet value is escaped."""
    template = _environment().get_template("pedigree.svg.j2")
    return Markup(template.render(drawing=drawing, size=SIZE, title=title).strip())


def pedigree_svg(patients: dict, findings=(), lines_of=None, title="") -> Markup:
    """Lay out and draw a case's patients in one call."""
    return render_svg(layout(patients, findings, lines_of), title)
