"""Draws the SVG diagrams used by docs/lstm-inputs-outputs*.md (plain SVG, no dependencies).

Run: python3 tools/docs/make_diagrams.py   (writes docs/img/*.svg)
"""
import os

OUT = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "img")

STYLE = """<style>
text { font-family: DejaVu Sans, Arial, sans-serif; font-size: 13px; }
.cell { fill: #e8f0fe; stroke: #1a73e8; stroke-width: 1.5; }
.bwd { fill: #fce8e6; stroke: #d93025; stroke-width: 1.5; }
.out { fill: #e6f4ea; stroke: #188038; stroke-width: 1.5; }
.hn { fill: #fef7e0; stroke: #f29900; stroke-width: 1.5; }
.arrow { stroke: #444; stroke-width: 1.3; fill: none; marker-end: url(#a); }
.small { font-size: 11px; fill: #444; }
.title { font-size: 15px; font-weight: bold; }
</style>
<defs><marker id="a" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
<path d="M 0 0 L 10 5 L 0 10 z" fill="#444"/></marker></defs>"""


def svg(width, height, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}">\n{STYLE}\n<rect width="100%" height="100%" fill="white"/>\n'
            + body + "\n</svg>\n")


def box(x, y, w, h, cls, label, sub=None):
    s = f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="6" class="{cls}"/>'
    s += f'<text x="{x + w / 2}" y="{y + h / 2 + (0 if sub else 4)}" text-anchor="middle">{label}</text>'
    if sub:
        s += f'<text x="{x + w / 2}" y="{y + h / 2 + 15}" text-anchor="middle" class="small">{sub}</text>'
    return s


def arrow(x1, y1, x2, y2):
    return f'<path d="M {x1} {y1} L {x2} {y2}" class="arrow"/>'


def stacked():
    """A 2-layer unidirectional LSTM unrolled over L = 4 steps."""
    L, layers = 4, 2
    x0, y0, cw, ch, gx, gy = 150, 130, 90, 44, 40, 60
    body = ['<text x="20" y="30" class="title">nn.LSTM(H_in, H, num_layers=2): unrolled over L = 4 steps</text>']
    for l in range(layers):
        y = y0 + (layers - 1 - l) * (ch + gy)
        body.append(box(20, y, 110, ch, "hn", f"h_0[{l}], c_0[{l}]"))
        body.append(arrow(130, y + ch / 2, x0, y + ch / 2))
        for t in range(L):
            x = x0 + t * (cw + gx)
            body.append(box(x, y, cw, ch, "cell", f"layer {l}", f"t = {t}"))
            if t > 0:
                body.append(arrow(x - gx, y + ch / 2, x, y + ch / 2))
            if l > 0:
                body.append(arrow(x + cw / 2, y + ch + gy, x + cw / 2, y + ch))
        xe = x0 + L * (cw + gx) - gx
        body.append(arrow(xe, y + ch / 2, xe + 40, y + ch / 2))
        body.append(box(xe + 40, y, 110, ch, "hn", f"h_n[{l}], c_n[{l}]"))
    ybot = y0 + (layers - 1) * (ch + gy) + ch
    ytop = y0
    for t in range(L):
        x = x0 + t * (cw + gx)
        body.append(box(x, ybot + 40, cw, 34, "cell", f"input[{t}]"))
        body.append(arrow(x + cw / 2, ybot + 40, x + cw / 2, ybot))
        body.append(box(x, ytop - 70, cw, 34, "out", f"output[{t}]"))
        body.append(arrow(x + cw / 2, ytop, x + cw / 2, ytop - 36))
    body.append(f'<text x="20" y="{ybot + 110}" class="small">output = the LAST layer\'s h_t for every t;'
                f' h_n, c_n = EVERY layer\'s state after the last step. So output[-1] == h_n[-1].</text>')
    return svg(900, ybot + 125, "\n".join(body))


def bidirectional():
    """One bidirectional layer over L = 4 steps: where output halves and h_n rows come from."""
    L = 4
    x0, cw, ch, gx = 170, 90, 44, 40
    yf, yb, yo = 70, 250, 160
    body = ['<text x="20" y="30" class="title">nn.LSTM(H_in, H, bidirectional=True): one layer, L = 4</text>']
    body.append(box(20, yf, 120, ch, "hn", "h_0[0] (fwd)"))
    body.append(arrow(140, yf + ch / 2, x0, yf + ch / 2))
    xe = x0 + L * (cw + gx) - gx
    body.append(box(xe + 40, yb, 120, ch, "hn", "h_0[1] (bwd)"))
    body.append(arrow(xe + 40, yb + ch / 2, xe, yb + ch / 2))
    for t in range(L):
        x = x0 + t * (cw + gx)
        body.append(box(x, yf, cw, ch, "cell", "forward", f"t = {t}"))
        body.append(box(x, yb, cw, ch, "bwd", "backward", f"t = {t}"))
        if t > 0:
            body.append(arrow(x - gx, yf + ch / 2, x, yf + ch / 2))
            body.append(arrow(x, yb + ch / 2, x - gx, yb + ch / 2))
        body.append(box(x - 10, yo, cw + 20, 40, "out", f"output[{t}]", "[fwd | bwd]"))
        body.append(arrow(x + cw / 2, yf + ch, x + cw / 2, yo))
        body.append(arrow(x + cw / 2, yb, x + cw / 2, yo + 40))
    body.append(arrow(xe, yf + ch / 2, xe + 40, yf + ch / 2))
    body.append(box(xe + 40, yf, 120, ch, "hn", "h_n[0] (fwd)"))
    body.append(arrow(x0, yb + ch / 2, 140, yb + ch / 2))
    body.append(box(20, yb, 120, ch, "hn", "h_n[1] (bwd)"))
    body.append('<text x="20" y="330" class="small">The forward direction ends at t = L-1: output[-1][..., :H_out] == h_n[-2].</text>')
    body.append('<text x="20" y="348" class="small">The backward direction ends at t = 0: output[0][..., H_out:] == h_n[-1]'
                ' (NOT output[-1][..., H_out:]).</text>')
    return svg(900, 365, "\n".join(body))


def packed():
    """Three sequences of lengths 4, 2, 1 packed time-step by time-step."""
    lengths = [4, 2, 1]
    colors = ["cell", "bwd", "out"]
    body = ['<text x="20" y="30" class="title">pack_padded_sequence: lengths [4, 2, 1] → batch_sizes [3, 2, 1, 1]</text>']
    cw, ch = 70, 30
    for b, n in enumerate(lengths):
        body.append(f'<text x="20" y="{80 + b * 40}" class="small">sequence {b}</text>')
        for t in range(4):
            cls = colors[b] if t < n else "hn"
            label = f"x{b},{t}" if t < n else "pad"
            body.append(box(100 + t * (cw + 8), 60 + b * 40, cw, ch, cls, label))
    body.append('<text x="20" y="215" class="small">data (R = 7 rows, step after step):</text>')
    x = 20
    for t in range(4):
        for b, n in enumerate(lengths):
            if t < n:
                body.append(box(x, 225, cw, ch, colors[b], f"x{b},{t}"))
                x += cw + 4
        x += 14
    body.append('<text x="20" y="290" class="small">h_n[:, b] is taken at step lengths[b]-1 of sequence b,'
                ' never at the padding; the backward direction starts at each sequence\'s own last element.</text>')
    return svg(900, 305, "\n".join(body))


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, fn in [("lstm-stacked.svg", stacked), ("lstm-bidirectional.svg", bidirectional),
                     ("lstm-packed.svg", packed)]:
        with open(os.path.join(OUT, name), "w") as f:
            f.write(fn())
        print("wrote", os.path.join("docs/img", name))
