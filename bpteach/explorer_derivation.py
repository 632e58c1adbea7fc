"""The explorer's derivation view: the backward pass for the studied weight, revealed one line per press
(step 1, step 2 for each layer, step 3, then '= path sum = finite difference'), for a lecturer to talk through."""

from __future__ import annotations

import ipywidgets as w

from .notation import derivation_lines


class DerivationView:
    """Lines from `notation.derivation_lines` for the model's snapshot; `shown` of them are visible."""

    def __init__(self, model) -> None:
        self.model, self.shown = model, 0
        self.more = w.Button(description="next line ▸", tooltip="reveal the next line of the derivation")
        self.less = w.Button(description="◂ line", tooltip="hide the last line shown")
        self.more.add_class("bpteach-reveal")
        self.less.add_class("bpteach-hide")
        for b in (self.more, self.less):
            b.layout.width = "auto"
        self.more.on_click(lambda _: self.reveal(+1))
        self.less.on_click(lambda _: self.reveal(-1))
        self.text = w.HTML()
        self.widget = w.VBox([w.HBox([w.HTML("<b>derivation</b>"), self.less, self.more]), self.text])
        self.render()

    @property
    def lines(self) -> list[str]:
        return derivation_lines(self.model.net, self.model.snapshot())

    def reveal(self, k: int) -> int:
        """Show k more lines (k < 0: fewer); returns how many are shown."""
        self.shown = max(0, min(len(self.lines), self.shown + k))
        self.render()
        return self.shown

    def render(self) -> None:
        lines = self.lines
        self.shown = min(self.shown, len(lines))
        self.more.disabled, self.less.disabled = self.shown == len(lines), self.shown == 0
        body = "".join(f"<div>{line}</div>" for line in lines[: self.shown])
        self.text.value = f"<div class='bpteach-derivation'>{body}</div>"
