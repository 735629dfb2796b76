"""Typed errors: every failed call raises MemoricError with the server's structured details decoded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional

import grpc

try:  # googleapis-common-protos (a dependency of grpcio-status), when installed
    from google.rpc import error_details_pb2, status_pb2
except ImportError:  # our own copy, generated from the same vendored protos
    from memoric._proto.google.rpc import error_details_pb2, status_pb2


@dataclass(frozen=True)
class FieldViolation:
    field: str
    description: str


class MemoricError(Exception):
    """A failed call: the gRPC status, plus field violations, the retry hint and the ErrorInfo reason."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        field_violations: Optional[List[FieldViolation]] = None,
        retry_delay: Optional[float] = None,
        reason: Optional[str] = None,
        error_metadata: Optional[Dict[str, str]] = None,
    ) -> None:
        super().__init__(f"[{code.name}] {message}")
        self.code = code
        self.message = message
        #: One entry per invalid field (INVALID_ARGUMENT), all at once.
        self.field_violations = field_violations or []
        #: The server's retry hint in seconds (RetryInfo, else the retry-after header).
        self.retry_delay = retry_delay
        #: ErrorInfo reason, e.g. "TOKEN_EXPIRED", "PERMISSION_MISSING".
        self.reason = reason
        self.error_metadata = error_metadata or {}

    @property
    def code_name(self) -> str:
        """The code as gRPC spells it: "NOT_FOUND"."""
        return self.code.name

    @classmethod
    def from_rpc_error(cls, err: grpc.RpcError) -> "MemoricError":
        code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
        message = err.details() if hasattr(err, "details") else str(err)
        trailers = dict(err.trailing_metadata() or ()) if hasattr(err, "trailing_metadata") else {}
        violations: List[FieldViolation] = []
        retry_delay: Optional[float] = None
        reason: Optional[str] = None
        info_metadata: Dict[str, str] = {}
        raw = trailers.get("grpc-status-details-bin")
        if isinstance(raw, bytes):
            status = status_pb2.Status.FromString(raw)
            for detail in status.details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    violations += [FieldViolation(v.field, v.description) for v in bad.field_violations]
                elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                    info = error_details_pb2.RetryInfo()
                    detail.Unpack(info)
                    retry_delay = info.retry_delay.seconds + info.retry_delay.nanos / 1e9
                elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    ei = error_details_pb2.ErrorInfo()
                    detail.Unpack(ei)
                    reason, info_metadata = ei.reason or None, dict(ei.metadata)
        header = trailers.get("retry-after")
        if retry_delay is None and isinstance(header, str) and header.strip().isdigit():
            retry_delay = float(header.strip())
        return cls(code or grpc.StatusCode.UNKNOWN, message or "", violations, retry_delay, reason, info_metadata)


class InjectedRpcError(grpc.RpcError):
    """An RpcError made on the client side (tests and fault injection), carrying just a status."""

    def __init__(self, code: grpc.StatusCode, details: str) -> None:
        super().__init__(details)
        self._code, self._details = code, details

    def code(self) -> grpc.StatusCode:
        return self._code

    def details(self) -> str:
        return self._details

    def trailing_metadata(self):
        return ()
