"""What the scripts in train/ share: flag types that validate up front, output-folder and
checkpoint checks, and ``run`` which turns a :class:`ScriptError` into one line on stderr and exit
status 2 (no traceback, nothing written).

Every check here runs before a script trains or writes anything, so a typo never costs a run and
never touches the output of an earlier one.
"""
import argparse
import json
import math
import os
import sys
import tempfile
import warnings

# the package's atomic file write (temp, fsync, rename, umask, stale-temp clean-up)
from minitorch.serialization import _write_atomic as write_atomic


class ScriptError(Exception):
    """A problem with the flags or the files they name. The message says what is wrong and what to
    do, in one line."""


class Parser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr (no usage dump) and exit status 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _number(text, kind):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected {'a whole number' if kind is int else 'a number'}, got {text!r}") from None


def positive_int(text):
    """A whole number >= 1 (epochs, batch size, steps, widths, label counts)."""
    v = _number(text, int)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text}")
    return v


def nonnegative_int(text):
    v = _number(text, int)
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {text}")
    return v


def positive_float(text):
    """A finite number > 0 (learning rates)."""
    v = _number(text, float)
    if not math.isfinite(v) or v <= 0:
        raise argparse.ArgumentTypeError(f"must be a finite number greater than 0, got {text}")
    return v


def fraction(text):
    """A number in [0, 1) (momentum)."""
    v = _number(text, float)
    if not (0 <= v < 1):
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return v


def check_out_dir(path, flag="--out"):
    """``path`` must be a folder that exists or can be created, and that we can write in.
    Creates nothing and writes nothing."""
    path = os.path.abspath(path)
    if os.path.exists(path) and not os.path.isdir(path):
        raise ScriptError(f"{flag} {path} is a file, not a folder: pass a folder (it is created "
                          "if missing)")
    probe = path
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        raise ScriptError(f"{flag} {path} cannot be created: {probe} is a file, not a folder; "
                          "pass another folder")
    try:  # an anonymous file (O_TMPFILE where the OS has it): nothing is left behind
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        raise ScriptError(f"{flag} {path} is not writable: cannot create files in {probe} "
                          f"({e.strerror or e}); pass a folder you can write to") from None


def load_checkpoint(path, what, hint):
    """``minitorch.load(path)``, or a ScriptError that says why the file cannot be used."""
    import minitorch
    if not os.path.exists(path):
        raise ScriptError(f"no {what} at {path}: {hint}")
    if os.path.isdir(path):
        raise ScriptError(f"{what} {path} is a folder, not a file: {hint}")
    try:
        return minitorch.load(path)
    except ValueError as e:
        reason = str(e).replace(f"minitorch.load: {path} ", "")
        raise ScriptError(f"{what} {path} {reason}: {hint}") from None
    except OSError as e:
        raise ScriptError(f"{what} {path} cannot be read ({e.strerror or e}): {hint}") from None


def load_model_weights(model, state, path, hint):
    """``model.load_state_dict(state)``, or a ScriptError naming the mismatch."""
    if not isinstance(state, dict):
        raise ScriptError(f"{path} does not hold a state_dict (found {type(state).__name__}): "
                          f"{hint}")
    try:
        model.load_state_dict(state)
    except (RuntimeError, KeyError, ValueError, TypeError) as e:
        lines = [line.strip() for line in str(e).strip().splitlines() if line.strip()]
        # torch's message is a header line and one line per problem: keep the first problem
        detail = lines[1] if len(lines) > 1 and lines[0].startswith("Error(s)") else lines[0]
        detail = detail if len(detail) <= 200 else detail[:200].rsplit(" ", 1)[0] + " ..."
        raise ScriptError(f"the weights in {path} do not fit this model ({detail}): {hint}") \
            from None


def replay_schedule(scheduler, steps):
    """Step a freshly built scheduler ``steps`` times to where a checkpoint stopped (the same
    arithmetic as the uninterrupted run, so a resume stays bit-exact). No optimizer step happens
    in between on purpose, so torch's warning about that order does not apply."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Detected call of `lr_scheduler.step")
        for _ in range(steps):
            scheduler.step()
    return scheduler


def write_jsonl_atomic(path, rows):
    """Replace ``path`` with one JSON line per row, through the same atomic write as
    ``minitorch.save`` (temp file, fsync, rename: never half-written)."""
    write_atomic(path, "".join(json.dumps(row) + "\n" for row in rows).encode())


def run(main, argv=None):
    """Call ``main(argv)``; a ScriptError becomes ``<script>: error: <message>`` on stderr and
    exit status 2."""
    try:
        return main(argv)
    except ScriptError as e:
        prog = os.path.basename(sys.argv[0]) or "script"
        sys.stderr.write(f"{prog}: error: {e}\n")
        sys.stderr.flush()
        raise SystemExit(2) from None
