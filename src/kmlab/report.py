"""Reports as Markdown and as one self-contained HTML page.

A :class:`Report` collects headings, paragraphs, lists, tables and matplotlib
figures, then renders them both ways.  Figures become PNG images embedded as
base64 ``data:`` URIs, so each file stands alone: no image files beside it, no
stylesheet, script or font fetched from anywhere.

Examples
--------
>>> from kmlab.report import Report
>>> report = Report("Customers")
>>> report.paragraph("Clustered with `kmlab cluster`.")
>>> report.table(["cluster", "size"], [[0, 1200], [1, 85.5]])
>>> print(report.to_markdown())
# Customers
<BLANKLINE>
Clustered with `kmlab cluster`.
<BLANKLINE>
| cluster | size |
|---:|---:|
| 0 | 1,200 |
| 1 | 85.5 |
<BLANKLINE>
>>> "<code>kmlab cluster</code>" in report.to_html()
True
"""

import base64
import html
import io
import re
from numbers import Integral, Real

__all__ = ["Report", "format_number"]

_CODE_SPAN = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*([^*]+)\*\*")

_STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; color: #1f2328; line-height: 1.5; }
h1, h2, h3 { line-height: 1.25; }
h2 { border-bottom: 1px solid #d0d7de; padding-bottom: .3rem; margin-top: 2rem; }
table { border-collapse: collapse; margin: 1rem 0; font-size: .9rem; }
th, td { border: 1px solid #d0d7de; padding: .3rem .6rem; }
th { background: #f6f8fa; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
code, pre { background: #f6f8fa; border-radius: 4px; font-size: .9em; }
code { padding: .1em .3em; }
pre { padding: .8rem; overflow-x: auto; }
figure { margin: 1rem 0; }
figure img { max-width: 100%; height: auto; }
figcaption { color: #59636e; font-size: .9rem; }
"""


def format_number(value):
    """A number as a report shows it: thousands separated, about four significant digits.

    Parameters
    ----------
    value : int, float or other
        Anything else is returned as ``str(value)``; NaN and None as an em dash.

    Returns
    -------
    text : str

    Examples
    --------
    >>> [format_number(v) for v in (52310.47, 12.3456, 0.8312, 3, float("nan"), -1e-5)]
    ['52,310', '12.35', '0.8312', '3', '—', '-1e-05']
    """
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, Real):
        return str(value)
    if isinstance(value, Integral):
        return f"{int(value):,}"
    value = float(value)
    if value != value:
        return "—"
    if 1000 <= abs(value) < 1e15:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def _is_number(value):
    return isinstance(value, Real) and not isinstance(value, bool)


class Report:
    """A document rendered as Markdown (:meth:`to_markdown`) and HTML (:meth:`to_html`).

    Parameters
    ----------
    title : str
        The top heading and the HTML page's title.

    Notes
    -----
    Text may hold `code` spans between backticks and **bold** between double
    asterisks; everything else is shown as written (escaped in HTML).
    """

    def __init__(self, title):
        self.title = title
        self._blocks = []

    def heading(self, text, level=2):
        """Add a heading (level 2 = a section, 3 = a subsection)."""
        self._blocks.append(("heading", (text, level)))

    def paragraph(self, text):
        """Add a paragraph."""
        self._blocks.append(("paragraph", (text,)))

    def bullets(self, items):
        """Add a bulleted list of strings."""
        self._blocks.append(("bullets", (list(items),)))

    def code(self, text):
        """Add a block of code or console text."""
        self._blocks.append(("code", (text,)))

    def table(self, header, rows):
        """Add a table.

        Parameters
        ----------
        header : list of str
            Column titles.
        rows : list of lists
            Cells; numbers are formatted by :func:`format_number` and aligned
            right, the rest shown with ``str``.
        """
        self._blocks.append(("table", (list(header), [list(row) for row in rows])))

    def figure(self, figure, caption, *, dpi=100):
        """Add a matplotlib figure as an embedded PNG image, and close the figure.

        Parameters
        ----------
        figure : matplotlib Figure
            The figure; rendered now, so later changes to it do not show.
        caption : str
            Shown under the image and used as its alternative text.
        dpi : int, default=100
            Resolution of the image.
        """
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(figure)
        self._blocks.append(("figure", (base64.b64encode(buffer.getvalue()).decode("ascii"), caption)))

    def to_markdown(self):
        """The report as Markdown (images as ``data:`` URIs).

        Returns
        -------
        text : str
        """
        return "\n".join([f"# {self.title}\n", *(_MARKDOWN[kind](*content) for kind, content in self._blocks)])

    def to_html(self):
        """The report as one HTML page with inline style and images, nothing fetched.

        Returns
        -------
        text : str
        """
        body = [f"<h1>{_inline(self.title)}</h1>", *(_HTML[kind](*content) for kind, content in self._blocks)]
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(self.title)}</title>\n<style>{_STYLE}</style>\n</head>\n<body>\n"
            + "\n".join(body)
            + "\n</body>\n</html>\n"
        )


def _markdown_table(header, rows):
    align = ["---:" if rows and all(_is_number(row[j]) for row in rows) else "---" for j in range(len(header))]
    lines = [_markdown_row(header), "|" + "|".join(align) + "|"]
    lines.extend(_markdown_row([format_number(cell) for cell in row]) for row in rows)
    return "\n".join(lines) + "\n"


def _html_table(header, rows):
    lines = ["<table>", "<tr>" + "".join(f"<th>{_inline(str(cell))}</th>" for cell in header) + "</tr>"]
    for row in rows:
        cells = (
            f'<td class="number">{format_number(cell)}</td>' if _is_number(cell) else f"<td>{_inline(str(cell))}</td>"
            for cell in row
        )
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines.append("</table>")
    return "\n".join(lines)


# What each kind of block becomes, from the arguments it was added with.
_MARKDOWN = {
    "heading": lambda text, level: f"{'#' * level} {text}\n",
    "paragraph": lambda text: f"{text}\n",
    "bullets": lambda items: "".join(f"- {item}\n" for item in items),
    "code": lambda text: f"```\n{text}\n```\n",
    "table": _markdown_table,
    "figure": lambda data, caption: f"![{caption}](data:image/png;base64,{data})\n\n*{caption}*\n",
}
_HTML = {
    "heading": lambda text, level: f"<h{level}>{_inline(text)}</h{level}>",
    "paragraph": lambda text: f"<p>{_inline(text)}</p>",
    "bullets": lambda items: "<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + "</ul>",
    "code": lambda text: f"<pre><code>{html.escape(text)}</code></pre>",
    "table": _html_table,
    "figure": lambda data, caption: (
        f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}">'
        f"<figcaption>{_inline(caption)}</figcaption></figure>"
    ),
}


def _markdown_row(cells):
    return "| " + " | ".join(str(cell).replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"


def _inline(text):
    """Escaped HTML with `code` spans and **bold**."""
    return _BOLD.sub(r"<strong>\1</strong>", _CODE_SPAN.sub(r"<code>\1</code>", html.escape(text)))
