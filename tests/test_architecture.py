"""The package's structure, checked statically (no kernels run): imports among minitorch modules
run one way, development tools stay out of the runtime package, every public module declares its
names, and ``dir(minitorch)`` shows PyTorch's names only."""
import ast
import pathlib
import subprocess
import sys

import pytest

import minitorch

ROOT = pathlib.Path(minitorch.__file__).parent
MODULES = {("minitorch." + ".".join(p.relative_to(ROOT).with_suffix("").parts))
           .replace(".__init__", ""): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(module, node):
    """The minitorch modules an import statement in ``module`` names (relative or absolute)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names if a.name.startswith("minitorch")]
    pkg = module if MODULES[module].name == "__init__.py" else module.rsplit(".", 1)[0]
    if node.level:
        parts = pkg.split(".")
        base = ".".join(parts[:len(parts) - node.level + 1])
        base = f"{base}.{node.module}" if node.module else base
    else:
        base = node.module or ""
    if not base.startswith("minitorch"):
        return []
    out = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        out.append(sub if sub in MODULES else base)
    return out


def _imports(module, local):
    """Module-level imports (``local=False``) or imports inside functions (``local=True``)."""
    tree = ast.parse(MODULES[module].read_text())
    found = []

    def visit(node, in_function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)) and in_function == local:
                found.append(child)
            if isinstance(child, ast.If) and _is_type_checking(child.test):
                continue  # annotations only; never executed
            visit(child, in_function or isinstance(child, (ast.FunctionDef,
                                                           ast.AsyncFunctionDef, ast.Lambda)))
    visit(tree, False)
    return found


def _is_type_checking(test):
    return isinstance(test, ast.Name) and test.id == "TYPE_CHECKING" or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _graph():
    graph = {}
    for module in MODULES:
        targets = set()
        for node in _imports(module, local=False):
            for target in _resolve(module, node):
                # importing a.b.c runs the packages a and a.b first
                parts = target.split(".")
                targets.update(".".join(parts[:i]) for i in range(2, len(parts) + 1))
        targets &= set(MODULES)
        targets.discard(module)
        graph[module] = targets
    return graph


def test_module_level_imports_form_no_cycle():
    graph = _graph()
    # a package importing its own submodules is how packages work, not a cycle: only a submodule
    # importing (directly or not) a package that imports it back is a circle
    state, stack = {}, []

    def dfs(m):
        state[m] = 1
        stack.append(m)
        for t in sorted(graph[m]):
            if m.startswith(t + "."):
                continue  # a submodule's import of its parent package (already running)
            if state.get(t) == 1:
                cycle = stack[stack.index(t):] + [t]
                pytest.fail("import cycle at module level: " + " -> ".join(cycle))
            if t not in state:
                dfs(t)
        stack.pop()
        state[m] = 2
    for m in sorted(graph):
        if m not in state:
            dfs(m)


def test_few_function_local_imports_each_with_a_reason():
    local, unexplained = [], []
    for module, path in MODULES.items():
        lines = path.read_text().splitlines()
        for node in _imports(module, local=True):
            entry = f"{module}:{node.lineno}: {lines[node.lineno - 1].strip()}"
            local.append(entry)
            ours = isinstance(node, ast.ImportFrom) and node.level or any(
                a.name.startswith("minitorch") for a in node.names)
            if ours and "#" not in entry:
                unexplained.append(entry)
    assert len(local) <= 25, "\n".join(local)
    assert not unexplained, "function-local imports of minitorch modules need a one-line " \
        "reason:\n" + "\n".join(unexplained)


# The one exception: make_dot's render() runs Graphviz's ``dot`` when it is installed (issue 14),
# importing subprocess only inside that call; nothing else in the runtime spawns processes.
SPAWNS_GRAPHVIZ = {"minitorch.utils.viz"}


def test_runtime_package_imports_no_subprocess():
    for module in MODULES:
        if module in SPAWNS_GRAPHVIZ:
            assert not any(isinstance(n, ast.Import) and n.names[0].name == "subprocess"
                           for n in _imports(module, local=False)), module
            continue
        for node in _imports(module, local=False) + _imports(module, local=True):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""]
            assert not any(n.split(".")[0] == "subprocess" for n in names), module


def test_every_public_module_declares_all():
    missing = [m for m, p in MODULES.items()
               if not any(part.startswith("_") for part in m.split(".")[1:])
               and "__all__" not in p.read_text()]
    assert not missing, missing


def test_dir_minitorch_shows_no_internals():
    import inspect

    import torch
    # minitorch.models is torchvision.models' counterpart: bound here only once it is imported
    public = {n: getattr(minitorch, n) for n in dir(minitorch)
              if not n.startswith("_") and n != "models"}
    modules = {n for n, v in public.items() if inspect.ismodule(v)}
    assert modules == {"accelerator", "autograd", "backends", "cuda", "distributed", "nn", "optim",
                       "random", "testing", "utils"}, modules
    # every public name is one torch has too (minitorch adds nothing of its own to the namespace)
    extra = sorted(n for n in public if not hasattr(torch, n))
    assert not extra, extra


def test_tensor_surface_is_defined_in_its_class():
    """Go-to-definition works: every op method is in the body of Tensor or of a mixin it
    names in its class statement (no methods attached from elsewhere)."""
    body = {n for cls in minitorch.Tensor.__mro__[:-1] for n in vars(cls)}
    assert minitorch.Tensor.__mro__[1:-1] == minitorch.Tensor.__bases__
    for name in ("add", "matmul", "sum", "__add__", "__rsub__", "__iadd__", "add_", "zero_",
                 "__getitem__", "T", "mT"):
        assert name in body, name


def test_no_setattr_on_tensor_outside_its_module():
    for module, path in MODULES.items():
        if module == "minitorch.tensor":
            continue
        text = path.read_text()
        assert "setattr(Tensor" not in text and "\nTensor." not in text, module


def test_ruff_clean():
    """The lint configured in pyproject.toml (ruff: E, F, I; 100 columns) passes on the checkout,
    so the README's test command checks it too."""
    repo = ROOT.parent
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", str(repo)],
                         capture_output=True, text=True, cwd=repo, timeout=120)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
