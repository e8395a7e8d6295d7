import re, subprocess, pathlib
PAIRS = {"pointwise.": "P.", "reduction.": "RD.", "shape_fns.": "S.", "elementwise.": "EW.",
         "index_kernels.": "IX.", "reduce_kernels.": "R.", "softmax_kernels.": "SM.",
         "matmul_kernels.": "MM.", "linear_loss_kernels.": "LL.", "loss_kernels.": "L.",
         "optim_kernels.": "K.", "run_op(": "launch(", "MatrixTranspose": "TFn",
         "_outer_dim_inner_strides": "_pdq", "_ValuesIndices": "_MinMax"}
files = subprocess.run(["git", "diff", "--name-only"], capture_output=True, text=True).stdout.split()
for f in files:
    if not f.endswith(".py"):
        continue
    lines = pathlib.Path(f).read_text().split("\n")
    changed = False
    i = 0
    while i < len(lines):
        line = lines[i]
        # old version of the line: undo the renames
        old = line
        for new, o in PAIRS.items():
            old = re.sub(r"(?<![\w.])" + re.escape(new), o, old)
        if old != line:
            # the column of the last unclosed '(' in old and new
            def open_col(s):
                stack = []
                for j, c in enumerate(s):
                    if c in "([{": stack.append(j)
                    elif c in ")]}" and stack: stack.pop()
                return stack[-1] if stack else None
            oc, nc = open_col(old), open_col(line)
            if oc is not None and nc is not None and nc != oc:
                k = i + 1
                while k < len(lines):
                    ind = len(lines[k]) - len(lines[k].lstrip())
                    if ind != oc + 1 or not lines[k].strip():
                        break
                    lines[k] = " " * (nc + 1) + lines[k].lstrip()
                    changed = True
                    k += 1
        i += 1
    if changed:
        pathlib.Path(f).write_text("\n".join(lines))
        print("realigned", f)
