"""The explorer's notation in one place: W^{(l)}_{i<-j}, z, a, delta and b as plain Unicode (what a slider label,
a dropdown entry or a tooltip can carry: ipywidgets strips <sub>) or as HTML, and numbers formatted one way.
The step-through's formulas (`stage_html`) are written here too, so the view only places them."""

from __future__ import annotations

import html

from .diagram import unit_label

F_NAMES = {"sigmoid": "σ", "tanh": "tanh", "relu": "relu", "identity": "id"}
_SUP = str.maketrans("0123456789()+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻")
_SUB = str.maketrans("0123456789aehijklmnoprstuvx()", "₀₁₂₃₄₅₆₇₈₉ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₍₎")


def sup(text: str) -> str:
    """Unicode superscript: sup('(1)') is '⁽¹⁾'."""
    return str(text).translate(_SUP)


def sub(text: str) -> str:
    """Unicode subscript (k3 -> ₖ₃); a letter without one (q) stays as it is, its digits go down (q1 -> q₁)."""
    return str(text).translate(_SUB)


def weight_text(net, l: int, i: int, j: int) -> str:
    """W^{(l)}_{i<-j} in Unicode with the text's 1-based labels: W⁽¹⁾ᵢ₃←ⱼ₂."""
    dst, src = unit_label(net, l + 1, i), unit_label(net, l, j)
    return f"W{sup(f'({l})')}{sub(dst)}←{sub(src)}"


def sym_text(name: str, l: int | None = None, unit: str | None = None) -> str:
    """A layer symbol in Unicode: sym_text('b', 4, 'p1') is b⁽⁴⁾ₚ₁."""
    return name + (sup(f"({l})") if l is not None else "") + (sub(unit) if unit else "")


def weight_html(net, l: int, i: int, j: int) -> str:
    """W^{(l)}_{i<-j} as HTML, e.g. W<sup>(1)</sup><sub>i3←j2</sub>."""
    return f"W<sup>({l})</sup><sub>{unit_label(net, l + 1, i)}←{unit_label(net, l, j)}</sub>"


def sym(name: str, l: int, unit: str | None = None) -> str:
    """A layer symbol as HTML: sym('z', 3, 'k1') is z<sup>(3)</sup><sub>k1</sub>."""
    return f"{name}<sup>({l})</sup>" + (f"<sub>{unit}</sub>" if unit else "")


def num(v: float, spec: str = "+.4f") -> str:
    """A number for display; -0.0 prints as 0 (never '-0.000e+00')."""
    return format(float(v) + 0.0, spec)


def sig(v: float) -> str:
    """A number as a factor in a product: 4 significant digits, in brackets, '(−0.6657)' (never '− +0.6657')."""
    v = float(v) + 0.0
    text = f"{v:.4f}" if v == 0 or 1e-3 <= abs(v) < 1e4 else f"{v:.3e}"
    return f"({text})"


def stage_html(net, y, stage, units: dict[int, int], snap: dict) -> str:
    """The step-through's current step as its formula with the numbers put in (kind, l) = stage; the factors
    put in are in <span class='x'>, which a lecture page less than 520 CSS px tall leaves out."""
    if stage is None:
        return (
            "<div class='bpteach-stage'><b>Forward ▸</b> (→): the forward pass a layer at a time, then steps "
            "1, 2, 3 back.</div>"
        )
    tr, delta, g, n_l, lab = snap["trace"], snap["delta"], snap["gradients"], net.n_l, unit_label
    kind, l = stage
    if kind == "forward":
        u, f = units[l + 1], net.activations[l + 1].name
        i = lab(net, l + 1, u)
        v = net.letters[l - 1] if net.letters else "v"
        terms = " + ".join(f"{sig(net.W[l][u, n])}{sig(tr.a[l][n])}" for n in range(net.s(l)))
        body = (
            f"<b>forward, layer {l + 1}</b>: {sym('z', l + 1)} = {sym('W', l)} {sym('a', l)} + {sym('b', l)}, "
            f"then {sym('a', l + 1)} = f({sym('z', l + 1)})<br>"
            f"<span class='f'>{sym('z', l + 1, i)} = Σ<sub>{v}</sub> W<sup>({l})</sup><sub>{i}←{v}</sub> "
            f"{sym('a', l)}<sub>{v}</sub> + {sym('b', l, i)}</span>"
            f"<span class='x'> = {terms} + {sig(net.b[l][u])}</span> = "
            f"<b class='bpteach-stage-value'>{num(tr.z[l + 1][u])}</b><br>"
            f"<span class='f'>{sym('a', l + 1, i)} = {F_NAMES.get(f, f)}({sym('z', l + 1, i)})</span> = "
            f"<b>{num(tr.a[l + 1][u])}</b>"
        )
    elif kind == "delta" and l == n_l:
        u = units[n_l]
        p = lab(net, n_l, u)
        fp = net.activations[n_l].df(tr.z[n_l])[u]
        body = (
            f"<b>step 1, output layer {n_l}</b><br>"
            f"<span class='f'>{sym('δ', n_l, p)} = −(y<sub>{p}</sub> − h<sub>{p}</sub>) "
            f"f′({sym('z', n_l, p)})</span>"
            f"<span class='x'> = −({num(y[u])} − {num(tr.a[n_l][u])}) × {sig(fp)}</span> = "
            f"<b class='bpteach-stage-value'>{num(delta[n_l][u], '+.6f')}</b>"
        )
    elif kind == "delta":
        u = units[l]
        k = lab(net, l, u)
        fp = net.activations[l].df(tr.z[l])[u]
        q = net.letters[l] if net.letters else "m"
        terms = " + ".join(f"{sig(net.W[l][n, u])}{sig(delta[l + 1][n])}" for n in range(net.s(l + 1)))
        body = (
            f"<b>step 2, layer {l}</b>: the error of layer {l + 1} sent back through {sym('W', l)}<br>"
            f"<span class='f'>{sym('δ', l, k)} = (Σ<sub>{q}</sub> W<sup>({l})</sup><sub>{q}←{k}</sub> "
            f"{sym('δ', l + 1)}<sub>{q}</sub>) f′({sym('z', l, k)})</span><br>"
            f"<span class='x'>= ({terms}) × {sig(fp)} </span>"
            f"= <b class='bpteach-stage-value'>{num(delta[l][u], '+.6e')}</b>"
        )
    else:
        i, j = units[l + 1], units[l]
        si, sj = lab(net, l + 1, i), lab(net, l, j)
        body = (
            f"<b>step 3, {sym('W', l)}</b>: δ of destination × a of source, for each weight<br>"
            f"<span class='f'><span class='nw'>∂J/∂{weight_html(net, l, i, j)}</span> = "
            f"{sym('δ', l + 1, si)} "
            f"{sym('a', l, sj)}</span><span class='x'> = {sig(delta[l + 1][i])}{sig(tr.a[l][j])}</span> = "
            f"<b class='bpteach-stage-value'>{num(g.W[l][i, j], '+.6e')}</b>; "
            f"<span class='nw'>∂J/∂{sym('b', l, si)}</span> = {sym('δ', l + 1, si)} = {num(g.b[l][i], '+.6e')}"
        )
    return f"<div class='bpteach-stage'>{body}</div>"


def panel_html(net, s: dict, mistake: str, lr: float | None) -> tuple[str, str]:
    """The numbers panel (the studied weight, J, dJ/dW three ways, eta unless None) and the path terms' line."""
    l, i, j = s["weight"]
    name, by_delta = weight_html(net, l, i, j), s["grad_delta"]
    failed = isinstance(by_delta, str)
    shown = "fails" if failed else num(by_delta, "+.6e")
    label = "by δ, mistake on" if mistake else "by δ"
    why = f"<tr><td colspan='2' class='bpteach-why'>{html.escape(by_delta)}</td></tr>" if failed else ""
    panel = (
        "<table class='bpteach-panel'>"
        f"<tr><td>{name}</td><td class='bpteach-w'>{num(net.W[l][i, j], '+.6f')}</td></tr>"
        f"<tr><td>J</td><td class='bpteach-J'>{num(s['J'], '.6f')}</td></tr>"
        f"<tr><td>∂J/∂{name} {label}</td><td><span class='bpteach-grad'>{shown}</span></td></tr>"
        f"{why}"
        # 4 digits: a central difference carries ~1e-10 of noise, so its later digits are not the maths
        f"<tr><td>by finite differences</td><td class='bpteach-num'>{num(s['grad_numerical'], '+.3e')}</td></tr>"
        f"<tr><td>by the path terms</td><td class='bpteach-paths'>{num(s['grad_paths'], '+.6e')}</td></tr>"
        + (f"<tr><td>learning rate η</td><td>{num(lr, '.2f')}</td></tr>" if lr is not None else "")
        + "</table>"
    )
    n = len(s["terms"])
    terms = (
        f"<b>{n} path term{'s' if n != 1 else ''}</b> of ∂J/∂{name}, sum "
        f"<span class='bpteach-paths'>{num(s['grad_paths'], '+.6e')}</span>; choose one to highlight it"
    )
    return panel, terms


def curve_note_html(model, limit: float, lo: float, hi: float, lines: bool = False) -> str:
    """The caption of the two small plots: J(w)'s range and the loss history's, in numbers; `lines`: also what
    the lines are (lecture mode, whose plots carry no legend)."""
    (l, i, j), steps = model.weight, model.steps
    hist = model.history or [model.snapshot()["J"]]
    return (
        "<small>" + ("black: J(w); red: its tangent, slope ∂J/∂W; ●: the weight now. " if lines else "")
        + f"J(w) for w = {weight_html(model.net, l, i, j)} from {-limit:g} to {limit:g}: J from "
        f"{num(lo, '.6f')} to {num(hi, '.6f')}; loss history: {steps} step{'s' if steps != 1 else ''}, "
        f"J from {num(hist[0], '.4f')} to {num(hist[-1], '.4f')}</small>"
    )


def path_label(net, l: int, path, value: float | None = None) -> str:
    """A path term's path from layer l on, in the text's labels: 'j2 → i3 → k1 → q1 → p1', and its value."""
    return " → ".join(unit_label(net, l + n, u) for n, u in enumerate(path)) + (
        "" if value is None else f"   {num(value, '+.3e')}"
    )


def _vec(v) -> str:
    return "(" + ", ".join(num(x, "+.3e") for x in v) + ")"


def derivation_lines(net, snap: dict) -> list[str]:
    """The derivation for the studied weight W^{(l)}_{i<-j}, one HTML line per stage: step 1, step 2 for each
    layer down to l+1, step 3 for the weight, then the path sum and the finite difference it equals."""
    (l, i, j), tr, delta, n_l = snap["weight"], snap["trace"], snap["delta"], net.n_l
    si, sj = unit_label(net, l + 1, i), unit_label(net, l, j)
    lines = [f"step 1: {sym('δ', n_l)} = −(y − h) ⊙ f′({sym('z', n_l)}) = {_vec(delta[n_l])}"]
    lines += [
        f"step 2: {sym('δ', m)} = ({sym('W', m)}<sup>T</sup> {sym('δ', m + 1)}) ⊙ f′({sym('z', m)}) = {_vec(delta[m])}"
        for m in range(n_l - 1, l, -1)
    ]
    lines.append(
        f"step 3: ∂J/∂{weight_html(net, l, i, j)} = {sym('δ', l + 1, si)} {sym('a', l, sj)} = "
        f"{sig(delta[l + 1][i])}{sig(tr.a[l][j])} = <b>{num(snap['grad_correct'], '+.6e')}</b>"
    )
    n = len(snap["terms"])
    lines.append(
        f"= the sum of its {n} path term{'s' if n != 1 else ''} = {num(snap['grad_paths'], '+.6e')} "
        f"= the finite difference {num(snap['grad_numerical'], '+.3e')}"
    )
    return lines
