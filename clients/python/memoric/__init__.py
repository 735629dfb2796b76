"""Memoric client for Python: MemoricClient over gRPC, with the generated messages under memoric.v1."""

from memoric.client import EndUser, MemoricClient, RetryPolicy
from memoric.errors import FieldViolation, MemoricError

__all__ = ["EndUser", "FieldViolation", "MemoricClient", "MemoricError", "RetryPolicy"]
__version__ = "0.1.0"
