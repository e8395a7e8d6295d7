__all__ = ["data"]
