"""The explorer's state without any widget: the network, x and y, the studied weight, the step-through position,
presets, training and the mistake shown (notebook 10). A view (bpteach.explorer) only asks this model to change
and redraws from `snapshot()`; a widget can therefore never be the place where a true weight lives, and a late
echo from a browser slider cannot undo a reset, a preset or a training step that the model has already made.

Everything is computed by the bpteach functions the notebooks check. One event costs one backward pass
(`net.gradients` carries the forward trace and the deltas), the path terms and a central difference.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import train
from .diagram import unit_label
from .gradcheck import weight_derivative
from .mistakes import MISTAKES
from .network import Network
from .notation import num, sup, sym_text, weight_text
from .paths import path_terms

PRESETS = {
    "saturated output": "Output unit p1 is pushed to z = −8: h is almost 0 while y is 1, so J is large, yet "
    "f′(z) ≈ 3e-4 makes δ tiny and training crawls.",
    "vanishing first-layer gradients": "Every weight is a tenth of its start: each step 2 multiplies δ by about "
    "0.1 × ¼, so ∂J/∂W⁽¹⁾ is thousands of times smaller than ∂J/∂W⁽⁴⁾.",
    "symmetric start": "Every weight 0.5, every bias 0: the units of a layer are identical, get identical "
    "gradients, and stay identical however long you train.",
}


class ExplorerModel:
    """The state of one explorer. Change it only through its methods; each one notifies the observers
    with what changed ('params', 'data', 'study', 'stage', 'mistake', 'lr')."""

    def __init__(
        self,
        net: Network | None = None,
        x=(0.5, -0.3),
        y=(1.0, 0.0),
        weight: tuple[int, int, int] = (1, 2, 1),
        lr: float = 2.0,
        seed: int = 0,
    ) -> None:
        self.net = net if net is not None else Network.five_layer(seed=seed)
        self.x = self.net.check_x(x).copy()
        self.y = self.net.check_y(y, (self.net.sizes[-1],)).copy()
        self.initial = (self.net.copy(), self.x.copy(), self.y.copy())
        l, i, j = weight
        self.net.W[l][i, j]  # an IndexError/KeyError here names a weight the network does not have
        self.weight = (int(l), int(i), int(j))
        self.lr = float(lr)
        self.mistake = ""  # a key of MISTAKES, or "" for the correct backprop
        self.train_with_mistake = False  # gradient steps use the mistaken dJ/dW (when it can be computed)
        self.preset = ""
        self.path: tuple[int, ...] | None = None  # the selected path term of the studied weight
        self.position = 0  # the step-through: 0 is the whole pass, k the k-th step done
        self.steps = 0  # gradient steps since the start, the last reset or preset
        self.history: list[float] = []  # J before each step, then the current J
        self.stages = (
            [("forward", l) for l in range(1, self.net.n_l)]
            + [("delta", l) for l in range(self.net.n_l, 1, -1)]
            + [("gradient", l) for l in range(self.net.n_l - 1, 0, -1)]
        )
        self._rng = np.random.default_rng(seed + 1)
        self._observers: list[Callable[[str], None]] = []
        self._snap: dict | None = None

    # -- observing ---------------------------------------------------------------------------

    def observe(self, callback: Callable[[str], None]) -> None:
        """Call `callback(what)` after every change ('params', 'data', 'study', 'stage', 'mistake', 'lr')."""
        self._observers.append(callback)

    def _changed(self, what: str) -> None:
        self._snap = None
        for callback in self._observers:
            callback(what)

    # -- the parameters ---------------------------------------------------------------------------

    def set_weight(self, l: int, i: int, j: int, value: float) -> None:
        """W[l][i, j] = value, exactly (nothing else moves)."""
        self.net.W[l][i, j] = float(value)
        self._changed("params")

    def set_bias(self, l: int, i: int, value: float) -> None:
        self.net.b[l][i] = float(value)
        self._changed("params")

    def set_x(self, u: int, value: float) -> None:
        self.x[u] = float(value)
        self._changed("data")

    def set_y(self, u: int, value: float) -> None:
        self.y[u] = float(value)
        self._changed("data")

    def set_lr(self, value: float) -> None:
        self.lr = float(value)
        self._changed("lr")

    def study(self, weight: tuple[int, int, int]) -> None:
        """Study another weight W[l][i, j]; the selected path goes back to none."""
        l, i, j = weight
        self.net.W[l][i, j]
        self.weight, self.path = (int(l), int(i), int(j)), None
        self._changed("study")

    def select_path(self, path: tuple[int, ...] | None) -> None:
        self.path = None if path is None else tuple(path)
        self._changed("study")

    def set_mistake(self, name: str, train_with_it: bool | None = None) -> None:
        if name and name not in MISTAKES:
            raise ValueError(f"mistake: expected one of {', '.join(map(repr, MISTAKES))} or '', got {name!r}")
        self.mistake = name
        if train_with_it is not None:
            self.train_with_mistake = bool(train_with_it)
        self._changed("mistake")

    def _restore(self) -> None:
        net0, x0, y0 = self.initial
        for l in self.net.W:
            self.net.W[l], self.net.b[l] = net0.W[l], net0.b[l]
        self.x[:], self.y[:] = x0, y0
        self.steps, self.history = 0, []

    def reset(self) -> None:
        """Back to the weights, x and y the explorer started with."""
        self._restore()
        self.preset = ""
        self._changed("params")

    def randomize(self) -> None:
        """Fresh random weights (reproducible: the explorer's own generator)."""
        self.net.randomize(int(self._rng.integers(2**31)))
        self.steps, self.history, self.preset = 0, [], ""
        self._changed("params")

    def apply_preset(self, name: str) -> None:
        """Set the network to one of PRESETS, from the starting weights (PRESETS[name] says what it shows)."""
        if name not in PRESETS:
            raise ValueError(f"preset: expected one of {', '.join(map(repr, PRESETS))}, got {name!r}")
        self._restore()
        net, n_l = self.net, self.net.n_l
        if name == "saturated output":
            net.b[n_l - 1][0] = -8.0 - float(net.W[n_l - 1][0] @ net.forward(self.x).a[n_l - 1])
        elif name == "vanishing first-layer gradients":
            for l in net.W:
                net.W[l] = 0.1 * net.W[l]
        else:
            for l in net.W:
                net.W[l], net.b[l] = np.full(net.W[l].shape, 0.5), np.zeros(net.b[l].shape)
        self.preset = name
        self._changed("params")

    def gradient_step(self) -> float:
        """W <- W - lr dJ/dW, b <- b - lr dJ/db on the current example (bpteach.train.step). With
        `train_with_mistake` and a mistake that gives a dJ/dW of the right shape, only W moves, by the mistaken
        dJ/dW (the mistakes are in the weights' gradients; b is held). Returns J before the step."""
        wrong = self._mistaken() if self.train_with_mistake and self.mistake else None
        if isinstance(wrong, dict):
            J = self.net.cost(self.x, self.y)
            for l in self.net.W:
                self.net.W[l] = self.net.W[l] - self.lr * wrong[l]
        else:
            J = train.step(self.net, self.x, self.y, self.lr)
        if not self.history:
            self.history.append(J)
        self.steps += 1
        self.history.append(self.net.cost(self.x, self.y))
        self._changed("params")
        return J

    def _mistaken(self) -> dict | str:
        """The mistaken backprop's dJ/dW[l] for every l, or a short sentence saying what goes wrong."""
        net = self.net
        try:
            wrong = MISTAKES[self.mistake](net, self.x, self.y)
        except ValueError:
            for l in range(net.n_l - 1, 1, -1):
                rows, cols = net.W[l].shape
                if rows != cols:
                    W, d = f"W{sup(f'({l})')}", f"δ{sup(f'({l + 1})')}"
                    return f"fails at step 2, layer {l}: {W} is {rows}×{cols}, {d} has {rows}"
            return "fails: the shapes do not fit"
        for l in net.W:
            if wrong[l].shape != net.W[l].shape:
                r, c = wrong[l].shape
                R, C = net.W[l].shape
                return f"wrong shape: ∂J/∂W⁽{l}⁾ comes out {r}×{c}, W⁽{l}⁾ is {R}×{C}"
        return dict(wrong)

    # -- the step-through ------------------------------------------------------------------------

    @property
    def n_forward(self) -> int:
        return self.net.n_l - 1

    @property
    def stage(self) -> tuple[str, int] | None:
        """The step-through's last completed step, e.g. ('delta', 4); None: the whole pass shown."""
        return self.stages[self.position - 1] if self.position else None

    def go_to(self, k: int) -> None:
        """Jump to step k of the step-through (0: the whole pass)."""
        if not 0 <= k <= len(self.stages):
            raise ValueError(f"step: expected 0..{len(self.stages)}, got {k}")
        if k != self.position:
            self.position = int(k)
            self._changed("stage")

    def next_step(self) -> bool:
        """One step on (forward, then backward); False at the end."""
        if self.position >= len(self.stages):
            return False
        self.go_to(self.position + 1)
        return True

    def previous_step(self) -> bool:
        """One step back; False at the start."""
        if self.position == 0:
            return False
        self.go_to(self.position - 1)
        return True

    # -- what is shown ------------------------------------------------------------------------

    def notes(self) -> list[str]:
        """The sentences the page shows under the numbers: what the preset shows, what training uses."""
        notes = [PRESETS[self.preset]] if self.preset else []
        if self.mistake:
            notes.append("Gradient steps move W by this mistaken ∂J/∂W (b is held)." if self.train_with_mistake
                         else "Gradient steps still use the correct gradient (tick “train with it” to change that).")
        return notes

    def units(self) -> dict[int, int]:
        """The unit whose numbers the step-through shows, per layer: on the selected path where it has one
        (else the studied weight's source and destination), else the first unit."""
        l0, i, j = self.weight
        units = {l: 0 for l in range(1, self.net.n_l + 1)}
        units.update({l0 + n: u for n, u in enumerate(self.path or (j, i))})
        return units

    def snapshot(self, eps: float = 1e-6) -> dict:
        """J, the studied weight's gradient three ways and its path terms, from one backward pass; cached
        until the next change. With a mistake chosen, 'grad_delta' is that backprop's number (or a sentence
        saying how it fails); 'grad_correct' is always the right one."""
        if self._snap is not None:
            return self._snap
        net, (l, i, j) = self.net, self.weight
        g = net.gradients(self.x, self.y)
        terms = list(path_terms(net, self.x, self.y, l, i, j))
        grad = float(g.W[l][i, j])
        by_delta: float | str = grad
        if self.mistake:
            wrong = self._mistaken()
            by_delta = wrong if isinstance(wrong, str) else float(wrong[l][i, j])
        self._snap = {
            "weight": (l, i, j),
            "J": net.cost(self.x, self.y, trace=g.trace),
            "grad_delta": by_delta,
            "grad_correct": grad,
            "grad_numerical": weight_derivative(net, self.x, self.y, l, i, j, eps),
            "grad_paths": float(sum(t.value for t in terms)),
            "terms": terms,
            "gradients": g,
            "trace": g.trace,
            "delta": g.delta,
        }
        return self._snap

    def J_curve(self, n: int = 61, limit: float = 3.0) -> tuple[np.ndarray, np.ndarray]:
        """J as the studied weight w alone sweeps -limit..limit (everything else fixed). Only z^{(l+1)}_i
        depends on w, linearly with slope a^{(l)}_j: one forward pass from layer l+1, a column per w."""
        (l, i, j), net = self.weight, self.net
        t = self.snapshot()["trace"]
        ws = np.linspace(-limit, limit, n)
        z = np.repeat(t.z[l + 1][:, None], n, axis=1)
        z[i] += (ws - net.W[l][i, j]) * t.a[l][j]
        a = net.activations[l + 1].f(z)
        for m in range(l + 1, net.n_l):
            a = net.activations[m + 1].f(net.W[m] @ a + net.b[m][:, None])
        return ws, 0.5 * np.sum((self.y[:, None] - a) ** 2, axis=0)

    def moved_most(self) -> tuple[str, float] | None:
        """The parameter (its Unicode name) that moved most since the start, and by how much."""
        net0, best = self.initial[0], (None, 0.0)
        for l in self.net.W:
            dW, db = self.net.W[l] - net0.W[l], self.net.b[l] - net0.b[l]
            i, j = np.unravel_index(np.argmax(np.abs(dW)), dW.shape)
            if abs(dW[i, j]) > abs(best[1]):
                best = (weight_text(self.net, l, i, j), float(dW[i, j]))
            u = int(np.argmax(np.abs(db)))
            if abs(db[u]) > abs(best[1]):
                best = (sym_text("b", l, unit_label(self.net, l + 1, u)), float(db[u]))
        return None if best[0] is None else best

    def summary(self, limit: float = 3.0, step: float = 0.01) -> str:
        """The current state as plain text. J and dJ/dW by delta to 6 significant digits (float64 rounding is
        ~1e-15); finite differences carry ~1e-10 of noise, so they show as agreement within 1e-6 relative."""
        s = self.snapshot()
        l, i, j = s["weight"]
        name, n, by_delta = weight_text(self.net, l, i, j), len(s["terms"]), s["grad_delta"]
        shown = by_delta if isinstance(by_delta, str) else num(by_delta, "+.5e")
        shown_w = float(np.clip(round(self.net.W[l][i, j] / step) * step, -limit, limit)) + 0.0
        agree = (not isinstance(by_delta, str)) and np.isclose(by_delta, s["grad_numerical"], rtol=1e-6, atol=0)
        return (
            f"{name} = {num(self.net.W[l][i, j], '+.6f')} (its slider shows {shown_w:+.2f})\n"
            f"J = {num(s['J'], '.6f')}\n"
            f"dJ/d{name} by delta{' (' + self.mistake + ')' if self.mistake else ''}: {shown}\n"
            f"  {f'sum of the {n} path terms' if n != 1 else 'its single path term'}: {num(s['grad_paths'], '+.5e')}\n"
            f"  finite differences agree with it within 1e-6 relative: {'yes' if agree else 'NO'}"
        )
