"""These are real GPU kernels.

Under the ``gpu`` launch policy (GPU tile sizes, still run by the interpreter) a workload that
reaches every kernel and op variant in ``minitorch/ops`` records each distinct launch
specialization. A second process, without ``TRITON_INTERPRET`` so ``@triton.jit`` gives real
``JITFunction``s, rebuilds exactly the program Triton's JIT would compile for each record (same
signature, ``tt.divisibility`` attributes, int-equal-to-1 and None constexprs) and compiles it for
``sm_80`` and ``sm_90`` with Triton's bundled ``ptxas``. The test prints the register / spill /
shared-memory table only with ``pytest -v`` (otherwise it is captured: pytest shows it when the
test fails, and it is written to ``report.txt`` in the test's temporary folder), and fails on any
compile error, any register spill, and any ``@triton.jit`` kernel in ``minitorch/ops`` the
workload never launched.

Nothing is cached across runs: the Triton cache directory is a fresh temporary one.
"""
import json
import os
import subprocess
import sys

import pytest

# minutes: hundreds of ahead-of-time compiles (run by the default `python -m pytest` and CI)
pytestmark = pytest.mark.slow

# The ops sweep alone reaches every kernel and op variant; MINITORCH_AUDIT_FULL=1 also records
# the model workload (more argument alignment/divisibility variants, about 1.5x the compiles).
FULL = os.environ.get("MINITORCH_AUDIT_FULL") == "1"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

RECORD = r"""
import json, sys
sys.path.insert(0, sys.argv[2])
import minitorch
from minitorch.ops import launcher
from tools import audit
import _workloads
assert launcher.POLICY == "gpu", launcher.POLICY
with launcher.record_specializations() as rec:
    _workloads.ops_sweep()
    if sys.argv[3] == "1":
        _workloads.model_workload()
specs = audit.normalize(rec)
with open(sys.argv[1], "w") as f:
    json.dump(dict(specs=specs, uncovered=audit.uncovered_kernels(specs),
                   kernels=sorted(f"{m}.{n}" for m, n in audit.find_kernels())), f)
"""


def _run(args, env, timeout):
    p = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert p.returncode in (0, 1), f"{args[:3]} failed ({p.returncode}):\n{p.stdout[-4000:]}\n" \
                                   f"{p.stderr[-8000:]}"
    return p


def test_gpu_kernels_compile_without_spills(tmp_path, capsys, request):
    base = {k: v for k, v in os.environ.items()
            if k not in ("TRITON_INTERPRET", "MINITORCH_LAUNCH_POLICY")}
    base["PYTHONPATH"] = ROOT + os.pathsep + base.get("PYTHONPATH", "")
    base["TRITON_CACHE_DIR"] = str(tmp_path / "triton-cache")  # nothing cached across runs
    base["PYTHONWARNINGS"] = "ignore"

    # 1. record under the GPU tile policy (interpreter on)
    specs_path = tmp_path / "specs.json"
    _run([sys.executable, "-c", RECORD, str(specs_path), os.path.join(ROOT, "tests"),
          "1" if FULL else "0"],
         dict(base, MINITORCH_LAUNCH_POLICY="gpu", TRITON_INTERPRET="1"), timeout=240)
    recorded = json.loads(specs_path.read_text())
    specs = recorded["specs"]
    (tmp_path / "specs_only.json").write_text(json.dumps(specs))

    # 2. compile for sm_80 / sm_90 with real JITFunctions (interpreter off)
    rows_path = tmp_path / "rows.json"
    p = _run([sys.executable, "-m", "tools.audit", str(tmp_path / "specs_only.json"),
              str(rows_path), "--processes", "2"],
             dict(base, TRITON_INTERPRET="0"), timeout=420)
    rows = json.loads(rows_path.read_text())
    table = p.stdout
    (tmp_path / "report.txt").write_text(table)
    report = (f"\n{len(specs)} specializations x sm_80/sm_90 = {len(rows)} compiles "
              f"({len(recorded['kernels'])} kernels in minitorch/ops; table also in "
              f"{tmp_path / 'report.txt'})\n{table}")
    # pytest -v (counted from the -q in pyproject's addopts): show the table as it is made
    quiet_default = "-q" in request.config.getini("addopts")
    if request.config.get_verbosity() > (-1 if quiet_default else 0):
        with capsys.disabled():
            print(report)
    else:  # captured: pytest prints it with the failure report if an assertion below fails
        print(report)

    errors = [r for r in rows if r["error"]]
    spills = [r for r in rows if not r["error"] and (r["spill_stores"] or r["spill_loads"])]
    problems = []
    if errors:
        problems.append("compile errors:\n" + "\n".join(
            f"  {r['kernel']} {r['arch']} {r['constexprs']}: {r['error'][-1500:]}" for r in errors))
    if spills:
        problems.append("register spills:\n" + "\n".join(
            f"  {r['kernel']} {r['arch']} warps={r['num_warps']} regs={r['registers']} "
            f"spill={r['spill_stores']}/{r['spill_loads']} {r['constexprs']}" for r in spills))
    if recorded["uncovered"]:
        problems.append("kernels the workload never launched (add them to tests/_workloads.py):"
                        "\n  " + "\n  ".join(recorded["uncovered"]))
    assert not problems, "\n".join(problems)
