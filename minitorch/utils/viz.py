"""The autograd graph as a picture: ``make_dot`` with torchviz's signature and look.

``make_dot(loss, params=dict(model.named_parameters()))`` walks ``grad_fn`` → ``next_functions``
exactly as ``backward`` will, and returns a :class:`Dot` holding Graphviz DOT text (``.source``).
``.render(path, format="png"|"svg")`` uses Graphviz's ``dot`` program when it is installed and
otherwise draws the same layered graph with matplotlib, so a picture never depends on a system
package. Colours as torchviz: leaves that accumulate a gradient light blue, the outputs green,
saved tensors orange, backward nodes grey boxes named as ``grad_fn`` prints them.
"""
from __future__ import annotations

import os
import shutil
import tempfile

from ..tensor import Tensor

__all__ = ["Dot", "make_dot"]

# Graphs larger than this are refused by the matplotlib fallback (Graphviz handles them, slowly):
# a picture with thousands of boxes is unreadable and takes minutes to lay out.
MAX_FALLBACK_NODES = 2000

_NODE_ATTR = dict(style="filled", shape="box", align="left", fontsize="10", ranksep="0.1",
                  height="0.2", fontname="monospace")
_FILL = {"leaf": "lightblue", "output": "darkolivegreen1", "base": "darkolivegreen3",
         "saved": "orange", "fn": "lightgrey"}

# Graphviz's X11 colour names that matplotlib does not know.
_X11 = {"darkolivegreen1": "#caff70", "darkolivegreen3": "#a2cd5a"}

# Attributes every backward node has; what remains in its __dict__ is what its forward stored.
_NODE_INTERNALS = {"next_functions", "metadata", "needs_input_grad", "variable"}


def _holds_tensor(value):
    if isinstance(value, Tensor):
        return True
    if isinstance(value, (tuple, list)):
        return any(_holds_tensor(v) for v in value)
    return callable(value)


def _size_str(shape):
    return "(" + ", ".join(str(int(s)) for s in shape) + ")"


def _quote(text):
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _short(value, limit):
    text = str(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class Dot:
    """A directed graph in Graphviz's DOT language: ``source``, ``render`` (and ``save``)."""

    def __init__(self, node_attr=None, graph_attr=None):
        self.node_attr = dict(node_attr or {})
        self.graph_attr = dict(graph_attr or {})
        self.nodes = {}      # id -> (label, attrs), in insertion order
        self.edges = []      # (tail, head, attrs)

    def node(self, name, label, **attrs):
        self.nodes[name] = (label, attrs)

    def edge(self, tail, head, **attrs):
        self.edges.append((tail, head, attrs))

    @staticmethod
    def _attrs(attrs):
        if not attrs:
            return ""
        return " [" + " ".join(f"{k}={_quote(v)}" for k, v in attrs.items()) + "]"

    @property
    def source(self):
        lines = ["digraph {"]
        if self.graph_attr:
            lines.append("\tgraph" + self._attrs(self.graph_attr))
        if self.node_attr:
            lines.append("\tnode" + self._attrs(self.node_attr))
        for name, (label, attrs) in self.nodes.items():
            lines.append(f"\t{name}" + self._attrs({"label": label, **attrs}))
        for tail, head, attrs in self.edges:
            lines.append(f"\t{tail} -> {head}" + self._attrs(attrs))
        lines.append("}")
        return "\n".join(lines) + "\n"

    def __str__(self):
        return self.source

    def _repr_svg_(self):  # notebooks show the picture, as graphviz.Digraph does
        with tempfile.TemporaryDirectory() as d:
            path = self.render(os.path.join(d, "graph"), format="svg")
            with open(path, encoding="utf-8") as f:
                return f.read()

    def save(self, filename):
        with open(filename, "w", encoding="utf-8") as f:
            f.write(self.source)
        return filename

    def render(self, filename="graph", format="png", engine=None, cleanup=True):
        """Write the picture to ``filename.<format>`` (or ``filename`` if it already ends so) and
        return its path. ``engine``: ``"dot"`` (Graphviz; error if missing), ``"matplotlib"``, or
        None for Graphviz when installed, else matplotlib."""
        if format not in ("png", "svg", "pdf"):
            raise ValueError(f"format must be 'png', 'svg' or 'pdf', got {format!r}")
        path = str(filename)
        if not path.endswith("." + format):
            path = f"{path}.{format}"
        if engine not in (None, "dot", "matplotlib"):
            raise ValueError(f"engine must be None, 'dot' or 'matplotlib', got {engine!r}")
        dot = shutil.which("dot") if engine in (None, "dot") else None
        if engine == "dot" and dot is None:
            raise RuntimeError("the Graphviz 'dot' program is not on PATH; install Graphviz "
                               "(e.g. apt-get install graphviz) or pass engine='matplotlib'")
        if dot is not None:
            # The DOT text goes to Graphviz on stdin; only this development-time call spawns it.
            import subprocess  # used only to run Graphviz when it is installed
            subprocess.run([dot, f"-T{format}", "-o", path], input=self.source.encode(),
                           check=True, timeout=120)
        else:
            _draw_with_matplotlib(self, path, format)
        return path


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """The backward graph of ``var`` (a Tensor or a tuple of Tensors) as a :class:`Dot`.

    ``params`` maps names to tensors (``dict(model.named_parameters())``) to label the leaves;
    ``show_saved`` adds the tensors each node saved for backward, ``show_attrs`` the non-tensor
    values its forward stored (dims, scalars), cut to ``max_attr_chars``.
    """
    if params is not None:
        params = dict(params)
        for name, p in params.items():
            if not isinstance(p, Tensor):
                raise TypeError(f"params must map names to Tensors, but {name!r} is a "
                                f"{type(p).__name__}")
        param_map = {id(v): k for k, v in params.items()}
    else:
        param_map = {}
    outputs = var if isinstance(var, (tuple, list)) else (var,)
    for v in outputs:
        if not isinstance(v, Tensor):
            raise TypeError(f"make_dot expects a Tensor or a tuple of Tensors, got "
                            f"{type(v).__name__}")

    dot = Dot(node_attr=_NODE_ATTR, graph_attr=dict(size="12,12"))
    seen = set()

    def tensor_label(t, name=None):
        if not name:
            name = param_map.get(id(t), "")
        return f"{name}\n {_size_str(t.shape)}"

    def fn_label(fn):
        name = type(fn).__name__
        if not show_attrs:
            return name
        attrs = {k: v for k, v in vars(fn).items()
                 if not k.startswith("_") and k not in _NODE_INTERNALS and not _holds_tensor(v)}
        if not attrs:
            return name
        width = max(len(k) for k in attrs)
        rows = [f"{k.ljust(width)}: {_short(v, max_attr_chars)}" for k, v in sorted(attrs.items())]
        return name + "\n" + "-" * max(len(name), *(len(r) for r in rows)) + "\n" + "\n".join(rows)

    def saved_of(fn):
        saved = getattr(fn, "_saved", None)
        if not saved:
            return []
        out = []
        for i, s in enumerate(saved):
            if s is not None:
                out.append((getattr(s, "name", None) or f"saved[{i}]", s.data_tensor))
        return out

    # Iterative walk (graphs of 10,000 nodes must not hit Python's recursion limit).
    def add_nodes(root):
        stack = [root]
        while stack:
            fn = stack.pop()
            if id(fn) in seen:
                continue
            seen.add(id(fn))
            fid = str(id(fn))
            if show_saved:
                for name, t in saved_of(fn):
                    seen.add(id(t))
                    dot.edge(fid, str(id(t)), dir="none")
                    dot.node(str(id(t)), tensor_label(t, name), fillcolor=_FILL["saved"])
            variable = getattr(fn, "variable", None)
            if isinstance(variable, Tensor):  # AccumulateGrad: draw the leaf it feeds
                seen.add(id(variable))
                dot.node(str(id(variable)), tensor_label(variable), fillcolor=_FILL["leaf"])
                dot.edge(str(id(variable)), fid)
            dot.node(fid, fn_label(fn))
            for nxt, _ in getattr(fn, "next_functions", ()):
                if nxt is not None:
                    dot.edge(str(id(nxt)), fid)
                    stack.append(nxt)

    def add_base_tensor(t, color=_FILL["output"]):
        if id(t) in seen:
            return
        seen.add(id(t))
        dot.node(str(id(t)), tensor_label(t), fillcolor=color)
        if t.grad_fn is not None:
            add_nodes(t.grad_fn)
            dot.edge(str(id(t.grad_fn)), str(id(t)))
        if t._base is not None:
            add_base_tensor(t._base, color=_FILL["base"])
            dot.edge(str(id(t._base)), str(id(t)), style="dotted")

    for v in outputs:
        add_base_tensor(v)
    _resize(dot)
    return dot


def _resize(dot, size_per_element=0.15, min_size=12):
    """Scale the canvas with the graph, as torchviz's resize_graph does."""
    size = max(min_size, len(dot.nodes) * size_per_element)
    dot.graph_attr["size"] = f"{size},{size}"


# ---------------------------------------------------------------------------------------------
# matplotlib fallback: a layered (Sugiyama-style) drawing of the same nodes and edges
# ---------------------------------------------------------------------------------------------
def _layers(nodes, edges):
    """Layer of each node: the longest path from it to a sink (outputs at the top, leaves at the
    bottom), so every edge points upward like Graphviz's default rank direction."""
    succ = {n: [] for n in nodes}
    indeg = {n: 0 for n in nodes}
    hangers = []  # saved tensors hang one row below the node that saved them, as in Graphviz
    for tail, head, attrs in edges:
        if attrs.get("dir") == "none":
            hangers.append((tail, head))
            continue
        succ[tail].append(head)
        indeg[head] += 1
    # Kahn's order, then longest distance to a sink in reverse order (iterative, no recursion).
    order, ready = [], [n for n in nodes if indeg[n] == 0]
    remaining = dict(indeg)
    while ready:
        n = ready.pop()
        order.append(n)
        for h in succ[n]:
            remaining[h] -= 1
            if remaining[h] == 0:
                ready.append(h)
    order += [n for n in nodes if n not in set(order)]  # cycles cannot occur; stay total anyway
    depth = {}
    for n in reversed(order):
        depth[n] = 1 + max((depth[h] for h in succ[n] if h in depth), default=-1)
    for owner, saved in hangers:
        if not succ[saved] and indeg[saved] == 0:  # a leaf saved by a node keeps its row
            depth[saved] = depth[owner] - 1
    low = min(depth.values(), default=0)
    return {n: d - low for n, d in depth.items()}


def _draw_with_matplotlib(dot, path, format):
    n = len(dot.nodes)
    if n > MAX_FALLBACK_NODES:
        raise ValueError(
            f"this graph has {n} nodes; the matplotlib fallback draws at most "
            f"{MAX_FALLBACK_NODES} (a picture that size is unreadable). Install Graphviz "
            "('dot' on PATH) to render it, or use .source / .save() to keep the DOT text")
    import matplotlib  # only for the fallback drawing: importing it costs ~0.5 s
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    names = list(dot.nodes)
    depth = _layers(names, dot.edges)
    top = max(depth.values(), default=0)
    rows = {}
    for name in names:
        rows.setdefault(top - depth[name], []).append(name)  # row 0: the outputs
    # Order each row by the mean position of its neighbours in the row above (a few sweeps).
    pos = {}
    for r in sorted(rows):
        for i, name in enumerate(rows[r]):
            pos[name] = float(i)
    neighbours = {name: [] for name in names}
    for tail, head, _ in dot.edges:
        neighbours[tail].append(head)
        neighbours[head].append(tail)
    for _ in range(4):
        for r in sorted(rows):
            row = rows[r]
            row.sort(key=lambda m: (sum(pos[k] for k in neighbours[m]) / len(neighbours[m])
                                    if neighbours[m] else pos[m]))
            width = len(row)
            for i, name in enumerate(row):
                pos[name] = i - (width - 1) / 2

    widest = max((len(row) for row in rows.values()), default=1)
    fig_w = min(40.0, max(6.0, 2.2 * widest))
    fig_h = min(60.0, max(4.0, 1.1 * (len(rows) + 1)))
    fig, ax = plt.subplots(figsize=(fig_w, fig_h))
    ax.set_axis_off()
    xy = {name: (pos[name] * 2.2, -top + depth[name]) for name in names}
    for tail, head, attrs in dot.edges:
        (x0, y0), (x1, y1) = xy[tail], xy[head]
        style = "-" if attrs.get("dir") == "none" else "-|>"
        ls = ":" if attrs.get("style") == "dotted" else "-"
        ax.annotate("", xy=(x1, y1 + 0.2), xytext=(x0, y0 - 0.2),
                    arrowprops=dict(arrowstyle=style, linestyle=ls, color="0.35", lw=0.8,
                                    shrinkA=0, shrinkB=0))
    fontsize = 8 if widest < 8 else 6
    for name in names:
        label, attrs = dot.nodes[name]
        x, y = xy[name]
        fill = attrs.get("fillcolor", _FILL["fn"])
        ax.text(x, y, label, ha="center", va="center", fontsize=fontsize, family="monospace",
                bbox=dict(boxstyle="square,pad=0.3", fc=_X11.get(fill, fill), ec="0.2", lw=0.6))
    xs = [p[0] for p in xy.values()] or [0.0]
    ys = [p[1] for p in xy.values()] or [0.0]
    ax.set_xlim(min(xs) - 1.5, max(xs) + 1.5)
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    fig.savefig(path, format=format, bbox_inches="tight", dpi=110)
    plt.close(fig)
