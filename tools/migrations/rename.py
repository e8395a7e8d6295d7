"""Mechanical renames (issue 9): module aliases -> module names; opaque names -> descriptive ones.
Run from the repository root; idempotent."""
import pathlib, re

ALIASES = {  # alias -> new local name, per import statement
    ("pointwise", "P"): "pointwise", ("reduction", "RD"): "reduction", ("shape", "S"): "shape_fns",
    ("elementwise", "EW"): "elementwise", ("index", "IX"): "index_kernels",
    ("reduce", "R"): "reduce_kernels", ("softmax", "SM"): "softmax_kernels",
    ("matmul", "MM"): "matmul_kernels", ("linear_loss", "LL"): "linear_loss_kernels",
    ("loss", "L"): "loss_kernels", ("optim", "K"): "optim_kernels",
}
RENAMES = {"_pdq": "_outer_dim_inner_strides", "TFn": "MatrixTranspose",
           "_MinMax": "_ValuesIndices"}
SKIP = {"minitorch/ops/elementwise.py", "minitorch/ops/launcher.py"}

for path in list(pathlib.Path("minitorch").rglob("*.py")) + list(pathlib.Path("tests").rglob("*.py")) \
        + list(pathlib.Path("tools").rglob("*.py")) + list(pathlib.Path("bench").rglob("*.py")):
    if str(path) in SKIP:
        continue
    s = orig = path.read_text()
    for (mod, alias), new in ALIASES.items():
        pat = re.compile(rf"^(\s*)from (\S+) import {mod} as {alias}$", re.M)
        if not pat.search(s):
            continue
        repl = (lambda m, mod=mod, new=new:
                f"{m.group(1)}from {m.group(2)} import {mod}" + ("" if new == mod else f" as {new}"))
        s = pat.sub(repl, s)
        s = re.sub(rf"(?<![\w.]){alias}\.", f"{new}.", s)
    for old, new in RENAMES.items():
        s = re.sub(rf"\b{old}\b", new, s)
    # functions/pointwise.py's launch (Tensor-level: allocate, broadcast, run one elementwise op)
    # is not the launcher's launch
    if str(path) == "minitorch/functions/pointwise.py":
        s = re.sub(r"(?<![\w.])launch\(", "run_op(", s)
        s = s.replace('"launch"', '"run_op"')
    s = re.sub(r"\bpointwise\.launch\(", "pointwise.run_op(", s)
    if s != orig:
        path.write_text(s)
        print(path)
