#!/usr/bin/env python3
"""Render a terminal screen captured by `tmux capture-pane -e -p -N` (text with SGR
escape sequences) as an SVG: one cell per character, the colours and bold/dim/italic/
underline/reverse the program drew. Standard library only, so the screenshot script needs
nothing installed beyond tmux.

    ansi2svg.py [--title TEXT] < screen.ansi > screen.svg
"""

import argparse
import html
import re
import sys
import unicodedata

CELL_W = 8.4  # px per column at font-size 14 (monospace advance ~0.6 em)
CELL_H = 18  # px per row
PAD = 12
FG = "#d4d4d4"
BG = "#1e1e1e"

# The 16 ANSI colours (a dark theme close to VS Code's terminal).
PALETTE16 = [
    "#000000", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
]


def color256(n):
    if n < 16:
        return PALETTE16[n]
    if n < 232:
        n -= 16
        levels = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (levels[n // 36], levels[(n // 6) % 6], levels[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def key(self):
        return (self.fg, self.bg, self.bold, self.dim, self.italic, self.underline, self.reverse)

    def apply(self, params):
        codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 3:
                self.italic = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 23:
                self.italic = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = PALETTE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = PALETTE16[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = PALETTE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = PALETTE16[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48, 58) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    value = color256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    value = "#%02x%02x%02x" % tuple(codes[i + 2 : i + 5])
                    i += 4
                else:
                    value = None
                if c == 38:
                    self.fg = value
                elif c == 48:
                    self.bg = value
            i += 1


SGR = re.compile(r"\x1b\[([0-9;]*)m|\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b.")


def parse(text):
    """Rows of cells: (char, style key)."""
    style = Style()
    rows = []
    for line in text.split("\n"):
        cells = []
        pos = 0
        for m in SGR.finditer(line):
            for ch in line[pos : m.start()]:
                add(cells, ch, style)
            if m.group(0).endswith("m") and m.group(1) is not None:
                style.apply(m.group(1))
            pos = m.end()
        for ch in line[pos:]:
            add(cells, ch, style)
        rows.append(cells)
    while rows and not rows[-1]:
        rows.pop()
    return rows


def add(cells, ch, style):
    if ch == "\r":
        return
    cells.append((ch, style.key()))
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        cells.append(("", style.key()))  # the wide glyph's second cell


# Box drawing as the arms each glyph has (left, right, up, down), drawn as lines so that
# borders join across rows whatever the font; block elements as filled rectangles.
ARMS = {
    "─": "lr", "━": "lr", "═": "lr", "│": "ud", "┃": "ud", "║": "ud",
    "┌": "rd", "╭": "rd", "┏": "rd", "╔": "rd", "┐": "ld", "╮": "ld", "┓": "ld", "╗": "ld",
    "└": "ru", "╰": "ru", "┗": "ru", "╚": "ru", "┘": "lu", "╯": "lu", "┛": "lu", "╝": "lu",
    "├": "udr", "┤": "udl", "┬": "lrd", "┴": "lru", "┼": "lrud",
}
BLOCKS = {chr(0x2580 + i): i / 8 for i in range(1, 9)}  # ▁ … █: the cell's lower i/8


def shape(ch, left, top, colour):
    """SVG for a box-drawing or block glyph in the cell at (left, top), or None."""
    if ch in ARMS:
        cx, cy = left + CELL_W / 2, top + CELL_H / 2
        ends = {"l": (left, cy), "r": (left + CELL_W, cy), "u": (cx, top), "d": (cx, top + CELL_H)}
        d = " ".join("M%.1f %.1fL%.1f %.1f" % (cx, cy, *ends[a]) for a in ARMS[ch])
        return '<path d="%s" stroke="%s" stroke-width="1.2" stroke-linecap="square"/>' % (
            d, colour)
    if ch in BLOCKS:
        h = CELL_H * BLOCKS[ch]
        return '<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"/>' % (
            left, top + CELL_H - h, CELL_W + 0.3, h, colour)
    return None


def render(rows, title):
    columns = max((len(r) for r in rows), default=0)
    width = PAD * 2 + columns * CELL_W
    height = PAD * 2 + len(rows) * CELL_H
    out = [
        '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">'
        % (width, height, width, height),
        "<title>%s</title>" % html.escape(title) if title else "",
        '<rect width="100%%" height="100%%" rx="6" fill="%s"/>' % BG,
        '<g font-family="\'DejaVu Sans Mono\', \'Menlo\', \'Consolas\', monospace" '
        'font-size="14" xml:space="preserve">',
    ]
    for y, row in enumerate(rows):
        top = PAD + y * CELL_H
        baseline = top + 14
        x = 0
        while x < len(row):
            key = row[x][1]
            end = x
            while end < len(row) and row[end][1] == key:
                end += 1
            fg, bg, bold, dim, italic, underline, reverse = key
            fg, bg = fg or FG, bg
            if reverse:
                fg, bg = (bg or BG), fg
            left = PAD + x * CELL_W
            if bg:
                out.append(
                    '<rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                    % (left, top, (end - x) * CELL_W, CELL_H, bg)
                )
            attrs = ['fill="%s"' % fg]
            if bold:
                attrs.append('font-weight="bold"')
            if dim:
                attrs.append('opacity="0.6"')
            if italic:
                attrs.append('font-style="italic"')
            if underline:
                attrs.append('text-decoration="underline"')
            # Text between the drawn glyphs, each piece stretched to its cells so every
            # glyph sits in its column whatever the viewer's font advance.
            start = x
            for i in range(x, end + 1):
                drawn = shape(row[i][0], PAD + i * CELL_W, top, fg) if i < end else None
                if i == end or drawn:
                    text = "".join(ch for ch, _ in row[start:i])
                    if text.strip():
                        out.append(
                            '<text x="%.1f" y="%d" textLength="%.1f" '
                            'lengthAdjust="spacingAndGlyphs" %s>%s</text>'
                            % (PAD + start * CELL_W, baseline, (i - start) * CELL_W,
                               " ".join(attrs), html.escape(text)))
                    if drawn:
                        out.append(drawn)
                    start = i + 1
            x = end
    out.append("</g></svg>")
    return "\n".join(line for line in out if line) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--title", default="")
    args = parser.parse_args()
    sys.stdout.write(render(parse(sys.stdin.read()), args.title))


if __name__ == "__main__":
    main()
