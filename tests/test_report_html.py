"""report.html and report.md as a reviewer meets them: drawings, findings, escaping."""

import csv
import io
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from click.testing import CliRunner
from conftest import SAMPLE_SHEETS

from batchcase import atomic
from batchcase.cli import main
from batchcase.pedigree import PedigreeOptions
from batchcase.plan import build_plan
from batchcase.report import plan_html, plan_markdown

SVG = "{http://www.w3.org/2000/svg}"
WHEN = datetime(2026, 12, 4, 9, 30, tzinfo=UTC)
VOID = {"meta", "br", "img", "input", "link", "hr", "col", "wbr", "source"}
INVALID = SAMPLE_SHEETS / "invalid" / "parent_sex_and_missing_member.csv"


def plan_of(path, sizes=(1, 3)):
    return build_plan(path, options=PedigreeOptions(sizes=sizes))


class Page(HTMLParser):
    """A report page as a browser reads it: checked nesting, text, tables."""

    def __init__(self, html):
        super().__init__(convert_charrefs=True)
        self.stack, self.tags, self.text, self.rows = [], [], [], []
        self.feed(html)
        self.close()
        assert self.stack == [], f"unclosed elements: {self.stack}"

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self.rows[-1].append("")
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)
        if self.rows and {"td", "th"} & set(self.stack[-3:]):
            self.rows[-1][-1] += data.strip()


def drawings(html) -> list[ET.Element]:
    """Each pedigree <svg> of the page, parsed as XML."""
    return [ET.fromstring(svg) for svg in re.findall(r"<svg.*?</svg>", html, re.S)]


def drawn_members(svg) -> dict:
    """biosample label → (role, sex, affected, shape, filled, has the arrow)."""
    drawn = {}
    for group in svg.iter(f"{SVG}g"):
        if group.get("class") == "member":
            symbol = group.find("*[@class='symbol']")
            arrow = group.find(f"{SVG}g[@class='proband-arrow']") is not None
            drawn[group.find(f"{SVG}text").text] = (
                group.get("data-role"),
                group.get("data-sex"),
                group.get("data-affected"),
                symbol.tag.removeprefix(SVG),
                symbol.get("fill") != "#fff",
                arrow,
            )
    return drawn


def case_section(html, family) -> str:
    pattern = (
        rf'<section class="case[^"]*" id="[^"]+"\s+data-family="{family}">.*?</section>'
    )
    return re.search(pattern, html, re.S).group(0)


EXAMPLES = {
    "singleton": (
        "singleton_workflow.csv",
        (1, 3),
        {"LAB-0101": ("proband", "female", "true", "circle", True, True)},
    ),
    "trio": (
        "trio_workflow.csv",
        (1, 3),
        {
            "LAB-0201": ("proband", "male", "true", "rect", True, True),
            "LAB-0202": ("mother", "female", "false", "circle", False, False),
            "LAB-0203": ("father", "male", "false", "rect", False, False),
        },
    ),
    "quad": (
        "quad_workflow.csv",
        (1, 3, 4),
        {
            "LAB-0401": ("proband", "male", "true", "rect", True, True),
            "LAB-0402": ("mother", "female", "false", "circle", False, False),
            "LAB-0403": ("father", "male", "false", "rect", False, False),
            "LAB-0404": ("sibling", "female", "true", "circle", True, False),
        },
    ),
}


@pytest.mark.parametrize("example", EXAMPLES, ids=list(EXAMPLES))
def test_each_example_pedigree_is_drawn_in_standard_notation(example):
    name, sizes, expected = EXAMPLES[example]
    html = plan_html(plan_of(SAMPLE_SHEETS / name, sizes), WHEN)

    Page(html)
    (svg,) = drawings(html)
    assert drawn_members(svg) == expected


def test_one_drawing_per_case_inside_its_section():
    html = plan_html(plan_of(SAMPLE_SHEETS / "mixed_batch_workflow.csv"), WHEN)

    families = re.findall(r'data-family="([^"]+)"', html)
    assert families == ["FAM-0301", "FAM-0311", "LAB-0321", "LAB-0331"]
    for family in families:
        assert case_section(html, family).count("<svg") == 1
    assert len(drawings(html)) == 4


def test_summary_names_sheet_date_and_counts():
    html = plan_html(plan_of(INVALID), WHEN)
    text = " ".join(" ".join(Page(html).text).split())

    assert "Dry-run plan: parent_sex_and_missing_member.csv NOT valid" in text
    assert "Planned 2026-12-04 09:30 UTC" in text
    assert "Cases 2 of 3 pedigrees; 1 without a proband Samples 6" in text
    assert "Errors 4 Warnings 0" in text
    assert "Upload the FASTQs" not in text


def test_upload_command_is_shown_when_the_plan_has_one():
    from batchcase.plan import build_plan

    plan = build_plan(
        SAMPLE_SHEETS / "mixed_batch_workflow.csv",
        sample_sheet=SAMPLE_SHEETS / "mixed_batch_samplesheet.csv",
    )
    html = plan_html(plan, WHEN)

    command = "bs upload run -n RUN-2026-11-30 -t NovaSeqXSeries"
    assert f"{command} &lt;run folder&gt; --concurrency=high" in html
    assert f"    {command} <run folder> --concurrency=high" in plan_markdown(plan, WHEN)


def test_findings_table_gives_line_column_value_and_case():
    page = Page(plan_html(plan_of(INVALID), WHEN))

    assert [
        "error",
        "6",
        "Sex",
        "M",
        "the mother is recorded as male ('M'); set Sex to 'F' or fix the Relation",
        "FAM-0601",
    ] in page.rows
    no_case = [row for row in page.rows if row and row[-1].startswith("FAM-0621")]
    assert no_case[0][1] == "10" and no_case[0][-1] == "FAM-0621(no case planned)"


def test_cases_with_errors_stand_out_with_their_findings():
    html = plan_html(plan_of(INVALID), WHEN)

    bad = case_section(html, "FAM-0601")
    assert bad.startswith('<section class="case has-errors"')
    assert '<span class="badge bad">has errors</span>' in bad
    assert "the mother is recorded as male" in bad
    assert "the father is recorded as female" not in bad
    mother = next(
        g for g in drawings(bad)[0].iter(f"{SVG}g") if g.get("data-role") == "mother"
    )
    assert (mother.get("data-sex"), mother.get("data-findings")) == ("male", "1")

    good = case_section(
        plan_html(plan_of(SAMPLE_SHEETS / "trio_workflow.csv"), WHEN), "FAM-0201"
    )
    assert good.startswith('<section class="case"') and "has errors" not in good


def test_page_fetches_nothing_and_runs_no_script():
    html = plan_html(plan_of(SAMPLE_SHEETS / "mixed_batch_workflow.csv"), WHEN)
    tags = Page(html).tags

    assert not [tag for tag, attrs in tags if tag in ("script", "link", "img")]
    assert not [attrs for _, attrs in tags if "src" in attrs]
    assert all(attrs["href"].startswith("#") for _, attrs in tags if "href" in attrs)
    assert "url(" not in html and "@import" not in html


def test_json_body_is_folded_in_html_and_absent_from_markdown():
    plan = plan_of(SAMPLE_SHEETS / "trio_workflow.csv")
    html, markdown = plan_html(plan, WHEN), plan_markdown(plan, WHEN)

    details = re.search(r"<details>.*?</details>", html, re.S).group(0)
    assert "cases/FAM-0201.json" in details and "&#34;test_data&#34;" in details
    assert "test_data" not in markdown and "{" not in markdown


def test_markdown_pedigree_is_a_small_table():
    markdown = plan_markdown(plan_of(INVALID), WHEN)

    assert "### Case FAM-0601 (has errors)" in markdown
    assert "| ●↗ | Proband | LAB-0601 | Female | HP:0001250 | 2 |" in markdown
    assert "| □ | Mother | LAB-0602 | Male |  | 2 |" in markdown
    assert "**Has errors** on line(s) 5, 6: see Findings." in markdown
    assert "| error | 6 | Sex | M | the mother is recorded as male" in markdown
    assert len(markdown.splitlines()) < 60


# ------------------------------------------------------------------ hostile

HOSTILE = {
    "family": "<script>alert('fam')</script>",
    "biosample": "<script>alert(1)</script>",
    "phenotypes": "<b>Seizures</b> & [x](http://e.com)",
    "notes": '=HYPERLINK("http://x","y")',
    "custom": 'Tom & "Jerry" | <img src=x onerror=alert(2)>',
}


@pytest.fixture
def hostile_plan(tmp_path):
    header = "Family Id,Case Type,Files Names,BioSample Name,Storage Provider Id,"
    header += "Relation,Sex,Phenotypes,Clinical Notes,Lab_Note"
    files = "/runs/r1/{0}_R1_001.fastq.gz;/runs/r1/{0}_R2_001.fastq.gz"
    rows = [
        [HOSTILE["family"], "Exome", files.format("P"), HOSTILE["biosample"], "101"]
        + ["proband", "F", HOSTILE["phenotypes"], HOSTILE["notes"], HOSTILE["custom"]],
        [HOSTILE["family"], "Exome", files.format("M"), "M-1", "101"]
        + ["mother", "F", "unaffected", "", ""],
    ]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path = tmp_path / "hostile.csv"
    path.write_text(f"[Data]\n{header}\n{out.getvalue()}", encoding="utf-8")
    return plan_of(path)


def test_hostile_cells_are_text_in_html(hostile_plan):
    html = plan_html(hostile_plan, WHEN)
    page = Page(html)

    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert not [attrs for _, attrs in page.tags if "onerror" in attrs]
    text = "".join(page.text)
    for value in HOSTILE.values():
        assert value in text  # shown to the reader exactly as typed
    assert [svg.find(f"{SVG}title").text for svg in drawings(html)] == [
        f"Pedigree of {HOSTILE['family']}"
    ]


def test_hostile_cells_are_inert_in_markdown(hostile_plan):
    markdown = plan_markdown(hostile_plan, WHEN)

    assert "<script" not in markdown and "<img" not in markdown
    assert "### Case &lt;script&gt;alert('fam')&lt;/script&gt;" in markdown
    assert "&lt;b&gt;Seizures&lt;/b&gt; &amp; \\[x\\](http://e.com)" in markdown
    assert '=HYPERLINK("http://x","y")' in markdown
    assert 'Tom &amp; "Jerry" \\| &lt;img' in markdown
    member_rows = [line for line in markdown.splitlines() if "| Proband |" in line]
    assert len(re.findall(r"(?<!\\)\|", member_rows[0])) == 7  # six cells, no more


# ---------------------------------------------------------------------- CLI


def test_plan_command_writes_report_html_beside_the_others(tmp_path, monkeypatch):
    written, write_text = [], atomic.write_text

    def recording_write(path, text):
        written.append(path.name)
        return write_text(path, text)

    monkeypatch.setattr(atomic, "write_text", recording_write)
    out = tmp_path / "plan"
    out.mkdir()
    (out / "report.html").write_text("an older report", encoding="utf-8")

    sheet = SAMPLE_SHEETS / "trio_workflow.csv"
    result = CliRunner().invoke(main, ["plan", str(sheet), "--out", str(out)])

    assert result.exit_code == 0, result.output
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*"))
    assert names == [
        "cases",
        "cases/FAM-0201.json",
        "report.html",
        "report.json",
        "report.md",
    ]
    assert "report.html" in written  # through the atomic writer, no temp file left
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and 'data-family="FAM-0201"' in html


# ----------------------------------------------------------------- chromium

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--window-size=1280,2000",
]


def screenshot(page, png, tmp_path) -> list[str]:
    """Open a local page in headless Chromium; return its console lines about it.

    Chromium logs every console message of the page, uncaught errors
    included, as `INFO:CONSOLE...` with `source: file://...`; the report has
    no script, so any such line is a failure.
    """
    if not shutil.which(CHROMIUM):
        pytest.skip(f"chromium not installed: {CHROMIUM} is missing")
    profile = tmp_path / f"profile-{png.stem}"
    command = [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
    command += [f"--screenshot={png}", page.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)

    assert png.is_file(), result.stderr[-2000:]
    return [
        line
        for line in result.stderr.splitlines()
        if ":CONSOLE" in line or "Uncaught" in line
    ]


def png_colours(data: bytes) -> set[bytes]:
    """The distinct RGB colours of an 8-bit PNG, decoded with zlib alone."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat = 8, []
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            idat.append(body)

    assert depth == 8 and colour in (2, 6), "expected 8-bit RGB or RGBA"
    bpp = 3 if colour == 2 else 4
    stride = width * bpp
    raw, prev, colours = zlib.decompress(b"".join(idat)), bytes(stride), set()
    for y in range(height):
        start = y * (stride + 1)
        line = bytearray(raw[start + 1 : start + 1 + stride])
        prev = unfilter(raw[start], line, prev, bpp)
        colours.update(prev[i : i + 3] for i in range(0, len(prev), bpp))
    return colours


def unfilter(kind: int, line: bytearray, prev: bytes, bpp: int) -> bytes:
    """Undo one PNG scanline filter (None, Sub, Up, Average, Paeth)."""
    if kind == 2:
        return bytes((a + b) & 255 for a, b in zip(line, prev, strict=True))
    for i in range(len(line) if kind else 0):
        left = line[i - bpp] if i >= bpp else 0
        if kind == 1:
            line[i] = (line[i] + left) & 255
        elif kind == 3:
            line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        else:
            upper_left = prev[i - bpp] if i >= bpp else 0
            p = left + prev[i] - upper_left
            near = min(
                (abs(p - left), 0, left),
                (abs(p - prev[i]), 1, prev[i]),
                (abs(p - upper_left), 2, upper_left),
            )
            line[i] = (line[i] + near[2]) & 255
    return bytes(line)


def test_report_renders_in_chromium_without_console_errors(tmp_path):
    out = tmp_path / "plan"
    sheet = SAMPLE_SHEETS / "mixed_batch_workflow.csv"
    CliRunner().invoke(main, ["plan", str(sheet), "--out", str(out)])
    png = tmp_path / "report.png"

    console = screenshot(out / "report.html", png, tmp_path)

    assert console == []
    colours = png_colours(png.read_bytes())
    assert len(colours) > 10  # text, tiles, drawings: not a blank page
    assert bytes.fromhex("37474f") in colours  # an affected proband, filled


def test_console_check_catches_a_page_error(tmp_path):
    page = tmp_path / "broken.html"
    page.write_text("<p>x</p><script>no_such_function()</script>", encoding="utf-8")

    console = screenshot(page, tmp_path / "broken.png", tmp_path)

    assert any("Uncaught ReferenceError" in line for line in console)
