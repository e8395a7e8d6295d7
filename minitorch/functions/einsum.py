"""einsum as pairwise contractions: each pair of operands is permuted and reshaped to a batched
matrix product (``bmm``), indices no later operand or the output needs are summed out first, so
the gradient comes from those ops' own backward functions."""
import collections
import string

__all__ = ["einsum"]


def _parse_einsum(equation, operands):
    eq = equation.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(operands):
        which = "more" if len(operands) > len(terms) else "fewer"
        raise RuntimeError(f"einsum(): {which} operands were provided than specified in the "
                           f"equation")
    letters = set(c for c in eq if c.isalpha())
    spare = [c for c in string.ascii_letters if c not in letters]
    n_ell = 0
    for t, op in zip(terms, operands):
        if "..." in t:
            n_ell = max(n_ell, op.dim() - (len(t) - 3))
    ell = spare[:n_ell]
    parsed = []
    for t, op in zip(terms, operands):
        if "..." in t:
            k = op.dim() - (len(t) - 3)
            if k < 0:
                raise RuntimeError("einsum(): the number of subscripts in the equation does not "
                                   "match the number of dimensions for operand")
            t = t.replace("...", "".join(ell[n_ell - k:]))
        for c in t:
            if not c.isalpha():
                raise RuntimeError(f"einsum(): invalid subscript given at index "
                                   f"{eq.index(c)} in the equation string, subscripts must be "
                                   f"in [a-zA-Z]")
        if len(t) != op.dim():
            raise RuntimeError(f"einsum(): the number of subscripts in the equation "
                               f"({len(t)}) does not match the number of dimensions "
                               f"({op.dim()}) for operand {len(parsed)}"
                               + ("" if "..." in lhs else " and no ellipsis was given"))
        if len(set(t)) != len(t):
            raise RuntimeError("einsum(): repeated subscripts within one operand (diagonals, "
                               "traces) are not supported by minitorch")
        parsed.append(t)
    if arrow:
        out = rhs.replace("...", "".join(ell))
    else:
        counts = collections.Counter("".join(parsed))
        out = "".join(ell) + "".join(sorted(c for c in counts if counts[c] == 1 and c not in ell))
    for c in out:
        if not any(c in t for t in parsed):
            raise RuntimeError(f"einsum(): output subscript {c} does not appear in the equation "
                               f"for any input operand")
    return parsed, out


def _sum_out(x, t, keep):
    drop = [i for i, c in enumerate(t) if c not in keep]
    if drop:
        x = x.sum(tuple(drop))
        t = "".join(c for c in t if c in keep)
    return x, t


def _contract(a, ta, b, tb, keep, sizes):
    a, ta = _sum_out(a, ta, set(tb) | keep)
    b, tb = _sum_out(b, tb, set(ta) | keep)
    batch = [c for c in ta if c in tb and c in keep]
    contr = [c for c in ta if c in tb and c not in keep]
    left = [c for c in ta if c not in tb]
    right = [c for c in tb if c not in ta]

    def arrange(x, t, order):
        x = x.permute(*[t.index(c) for c in order]) if order else x
        return x.expand(*[sizes[c] for c in order]) if order else x

    def numel(cs):
        n = 1
        for c in cs:
            n *= sizes[c]
        return n

    nb, nl, nk, nr = numel(batch), numel(left), numel(contr), numel(right)
    am = arrange(a, ta, batch + left + contr).reshape(nb, nl, nk)
    bm = arrange(b, tb, batch + contr + right).reshape(nb, nk, nr)
    res = am.bmm(bm).reshape([sizes[c] for c in batch + left + right])
    return res, "".join(batch + left + right)


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise RuntimeError("einsum(): must provide at least one operand")
    terms, out = _parse_einsum(equation, operands)
    sizes = {}
    for t, op in zip(terms, operands):
        for c, s in zip(t, op.shape):
            if sizes.get(c, 1) != 1 and s != 1 and sizes[c] != s:
                raise RuntimeError(f"einsum(): operands do not broadcast with remapped shapes "
                                   f"(original->remapped): subscript {c} has size {s} and "
                                   f"{sizes[c]}")
            sizes[c] = s if sizes.get(c, 1) == 1 else sizes[c]
    x, tx = operands[0], terms[0]
    for i in range(1, len(operands)):
        keep = set(out).union(*terms[i + 1:])
        x, tx = _contract(x, tx, operands[i], terms[i], keep, sizes)
    x, tx = _sum_out(x, tx, set(out))
    if tx != out:
        x = x.permute(*[tx.index(c) for c in out])
    shape = [sizes[c] for c in out]
    if list(x.shape) != shape:
        x = x.expand(*shape)
    return x
