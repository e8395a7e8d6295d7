"""``torch.return_types``-style results: a (values, indices) tuple with names (max, min,
median)."""

__all__ = ["ValuesIndices"]


class ValuesIndices(tuple):
    """torch.return_types.<name>: a (values, indices) tuple whose fields also have names."""

    def __new__(cls, values, indices, name):
        self = super().__new__(cls, (values, indices))
        self._name = name
        return self

    values = property(lambda self: self[0])
    indices = property(lambda self: self[1])

    def __repr__(self):
        return (f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})")
