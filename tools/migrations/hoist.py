"""Hoist function-local imports to module level (mechanical; re-runnable on merged code)."""
import ast, pathlib, re, sys
sys.path.insert(0, "tests")
import minitorch, os
assert os.path.dirname(minitorch.__file__) == os.path.join(os.getcwd(), "minitorch"), minitorch.__file__
import test_architecture as T

BELOW_TENSOR = ("minitorch.functions", "minitorch.autograd", "minitorch._dtype", "minitorch._legacy")
KEEP = {("minitorch.cuda", "_seed"), ("minitorch.tensor", "tensor"),
        ("minitorch._tensor_ref", "Tensor"), ("minitorch._tensor_ref", "module")}
ACCESSORS = {"arange", "empty", "full", "ones", "ones_like", "tensor", "zeros", "zeros_like"}

for module, path in T.MODULES.items():
    src = path.read_text()
    lines = src.split("\n")
    below = module.startswith(BELOW_TENSOR)
    rel = "." * (module.count(".") - (0 if path.name == "__init__.py" else 1) + 0)
    # relative prefix from this module to the package root
    depth = module.count(".") if path.name != "__init__.py" else module.count(".") + 1
    root = "." * depth
    hoisted, accessors, need_tensor_type = [], set(), False
    edits = {}  # line index -> replacement lines
    for node in T._imports(module, local=True):
        if not (isinstance(node, ast.ImportFrom) and node.level or isinstance(node, ast.Import) and any(a.name.startswith("minitorch") for a in node.names)):
            continue
        names = [a.asname or a.name for a in node.names]
        if any((module, n) in KEEP for n in names):
            continue
        text = " ".join(l.strip() for l in lines[node.lineno - 1:node.end_lineno]).split("#")[0].strip()
        indent = re.match(r"\s*", lines[node.lineno - 1]).group(0)
        target = node.module or ""
        if below and target.endswith("tensor") and node.level and names == ["Tensor"]:
            repl = [f"{indent}Tensor = tensor_type()"]
            need_tensor_type = True
        elif below and target.endswith("creation") and node.level == depth:
            accessors.update(a.name for a in node.names)
            assert all(a.asname is None for a in node.names)
            repl = []
        else:
            hoisted.append(text)
            repl = []
        edits[node.lineno - 1] = (node.end_lineno, repl)
    if not edits:
        continue
    out, i = [], 0
    while i < len(lines):
        if i in edits:
            end, repl = edits[i]
            out.extend(repl)
            i = end
        else:
            out.append(lines[i]); i += 1
    tree = ast.parse(src)
    last = max(n.end_lineno for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)))
    new_imports = sorted(set(hoisted))
    if accessors or need_tensor_type:
        acc = set(accessors) | ({"tensor_type"} if need_tensor_type else set())
        assert accessors <= ACCESSORS, (module, accessors)
        new_imports.append(f"from {root}_tensor_ref import {', '.join(sorted(acc))}")
    # insert after the last module-level import (its line index in the new text is unchanged:
    # all edits are inside functions, after the imports)
    out[last:last] = new_imports
    path.write_text("\n".join(out))
    print(module, "hoisted", len(new_imports))
