"""MemoricClient: typed service clients over one gRPC channel, with auth (refresh before expiry and
once on UNAUTHENTICATED), retries with jittered backoff (UNAVAILABLE, RESOURCE_EXHAUSTED with a hint),
idempotency keys on creates, default deadlines, end-user scoping and iterators over pages and exports.

    client = MemoricClient("http://localhost:8080", api_key="mk_...")
    client.end_user("user-123").memories.create_memory(content="Allergic to peanuts")
"""

from __future__ import annotations

import random
import re
import time
import uuid
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator, Optional, Sequence, Tuple, cast
from urllib.parse import urlparse

import grpc

from memoric._proto.memoric.v1 import (
    audit_pb2,
    audit_pb2_grpc,
    auth_pb2,
    auth_pb2_grpc,
    end_users_pb2,
    end_users_pb2_grpc,
    memory_pb2,
    memory_pb2_grpc,
)
from memoric._session import EndUserTokenSource, Session
from memoric.errors import MemoricError

if TYPE_CHECKING:  # typed signatures of every RPC, generated from the contract
    from memoric._proto._services import (
        AuditServiceMethods,
        AuthServiceMethods,
        EndUserServiceMethods,
        MemoryServiceMethods,
    )

    class MemoriesApi(MemoryServiceMethods):
        def list_all(self, **fields: Any) -> Iterator[memory_pb2.Memory]: ...
        def export_all(self, **fields: Any) -> Iterator[memory_pb2.ExportMemoriesResponse]: ...

# Not safe to send twice: a retry could spend a credential or create a second account or key.
_NEVER_RETRIED = {"Register", "Refresh", "ChangePassword", "CreateApiKey", "CreateServiceAccount"}


@dataclass(frozen=True)
class RetryPolicy:
    #: Attempts in all, including the first; 1 disables retries.
    max_attempts: int = 4
    #: First backoff in seconds, doubled per attempt (full jitter).
    initial_backoff: float = 0.2
    max_backoff: float = 5.0
    #: A server hint above this is not waited for: the error is raised.
    max_hint: float = 30.0


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class _Service:
    """One service: each RPC as a snake_case method taking a request message or its fields as keywords."""

    def __init__(self, client: "MemoricClient", module, stub, service_name: str, scope: Optional[dict] = None):
        self._client, self._module, self._stub, self._scope = client, module, stub, scope or {}
        self._methods = {_snake(m.name): m for m in module.DESCRIPTOR.services_by_name[service_name].methods}

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = self._methods.get(name)
        if method is None:
            raise AttributeError(name)
        request_cls = getattr(self._module, method.input_type.name)
        streaming = method.server_streaming

        def call(request=None, *, timeout: Optional[float] = None, metadata: Sequence = (), **fields):
            req = request_cls(**fields) if request is None else request
            for key, value in self._scope.items():
                setattr(req, key, value)
            invoke = getattr(self._stub, method.name)
            if streaming:
                return self._client._stream(method.name, invoke, req, timeout, metadata)
            return self._client._unary(method.name, invoke, req, timeout, metadata)

        call.__name__ = name
        return call


class Memories(_Service):
    def list_all(self, **fields) -> Iterator[memory_pb2.Memory]:
        """Every memory matching the request, page after page."""
        token = ""
        while True:
            page = self.list_memories(page_token=token, **fields)
            yield from page.memories
            token = page.next_page_token
            if not token:
                return

    def export_all(self, **fields) -> Iterator[memory_pb2.ExportMemoriesResponse]:
        """ExportMemories (retried and re-authenticated before its first message)."""
        return self.export_memories(**fields)


class EndUser:
    """The memories of one end user of your product, named by your own id for them."""

    def __init__(self, client: "MemoricClient", end_user_id: str):
        self.end_user_id = end_user_id
        self._client = client
        memories = Memories(client, memory_pb2, client._memory_stub, "MemoryService", {"end_user_id": end_user_id})
        self.memories = cast("MemoriesApi", memories)

    def ensure(self) -> end_users_pb2.EndUser:
        """Creates the end user if unknown (idempotent)."""
        return self._client.end_users.create_end_user(end_user_id=self.end_user_id).end_user

    def issue_token(self, **fields) -> end_users_pb2.IssueEndUserTokenResponse:
        return self._client.end_users.issue_end_user_token(end_user_id=self.end_user_id, **fields)

    def erase(self) -> end_users_pb2.DeleteEndUserResponse:
        return self._client.end_users.delete_end_user(end_user_id=self.end_user_id)


class MemoricClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: Optional[str] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        token: Optional[str] = None,
        refresh_token: Optional[str] = None,
        expires_in: Optional[float] = None,
        end_user_token: Optional[EndUserTokenSource] = None,
        timeout: Optional[float] = 30.0,
        retry: RetryPolicy = RetryPolicy(),
        interceptors: Sequence[Any] = (),
        channel_credentials: Optional[grpc.ChannelCredentials] = None,
        channel_options: Sequence[Tuple[str, Any]] = (),
    ) -> None:
        """base_url: "http://host:port" (plaintext) or "https://host[:port]" (TLS, system roots)."""
        url = urlparse(base_url if "://" in base_url else f"http://{base_url}")
        tls = url.scheme == "https"
        host = f"[{url.hostname}]" if url.hostname and ":" in url.hostname else url.hostname
        target = f"{host}:{url.port or (443 if tls else 80)}"
        # Reconnect within seconds after an outage (gRPC's default backoff grows to two minutes, and
        # fail-fast calls meanwhile fail at once, so retries alone could not outlast it).
        options = [
            ("grpc.initial_reconnect_backoff_ms", 200),
            ("grpc.max_reconnect_backoff_ms", 5000),
            *channel_options,
        ]
        if tls or channel_credentials is not None:
            creds = channel_credentials or grpc.ssl_channel_credentials()
            channel = grpc.secure_channel(target, creds, options=options)
        else:
            channel = grpc.insecure_channel(target, options=options)
        self._channel = channel
        # Closed at the latest when the interpreter exits: an open channel whose connectivity was
        # polled can otherwise hang grpcio's Channel.__del__ during the final garbage collection.
        self._closer = weakref.finalize(self, channel.close)
        if interceptors:
            channel = grpc.intercept_channel(channel, *interceptors)
        self._timeout, self._retry = timeout, retry
        self._memory_stub = memory_pb2_grpc.MemoryServiceStub(channel)
        self._auth_stub = auth_pb2_grpc.AuthServiceStub(channel)
        self.session = Session(
            _PublicAuth(self),
            api_key=api_key,
            username=username,
            password=password,
            token=token,
            refresh_token=refresh_token,
            expires_in=expires_in,
            end_user_token=end_user_token,
        )
        self.auth = cast("AuthServiceMethods", _Service(self, auth_pb2, self._auth_stub, "AuthService"))
        self.memories = cast("MemoriesApi", Memories(self, memory_pb2, self._memory_stub, "MemoryService"))
        end_users_stub = end_users_pb2_grpc.EndUserServiceStub(channel)
        self.end_users = cast("EndUserServiceMethods", _Service(self, end_users_pb2, end_users_stub, "EndUserService"))
        audit_stub = audit_pb2_grpc.AuditServiceStub(channel)
        self.audit = cast("AuditServiceMethods", _Service(self, audit_pb2, audit_stub, "AuditService"))

    def end_user(self, end_user_id: str) -> EndUser:
        return EndUser(self, end_user_id)

    def close(self) -> None:
        self._closer()

    def __enter__(self) -> "MemoricClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # The call pipeline: idempotency key -> retries -> auth (bearer, one recovery) -> the wire.

    def _unary(self, name: str, invoke, request, timeout, metadata, authenticate: bool = True):
        self._add_idempotency_keys(name, request)
        deadline = self._deadline(timeout)
        return self._with_retries(name, deadline, lambda: self._authed(invoke, request, deadline, metadata, authenticate))

    def _stream(self, name: str, invoke, request, timeout, metadata) -> Iterator[Any]:
        deadline = time.monotonic() + timeout if timeout else None

        def start():
            def first():
                stream = invoke(request, timeout=self._left(deadline), metadata=self._metadata(metadata, bearer))
                return stream, next(stream, _END)

            bearer = self.session.bearer()
            try:
                return first()
            except grpc.RpcError as err:
                if err.code() != grpc.StatusCode.UNAUTHENTICATED:
                    raise
                bearer = self.session.recover(bearer)
                if bearer is None:
                    raise
                return first()

        stream, head = self._with_retries(name, deadline, start)

        def rest():
            try:
                if head is _END:
                    return
                yield head
                yield from stream
            except grpc.RpcError as err:
                raise MemoricError.from_rpc_error(err) from err

        return rest()

    def _authed(self, invoke, request, deadline, metadata, authenticate: bool):
        bearer = self.session.bearer() if authenticate else None
        try:
            return invoke(request, timeout=self._left(deadline), metadata=self._metadata(metadata, bearer))
        except grpc.RpcError as err:
            if not authenticate or err.code() != grpc.StatusCode.UNAUTHENTICATED:
                raise
            renewed = self.session.recover(bearer)
            if renewed is None:
                raise
            return invoke(request, timeout=self._left(deadline), metadata=self._metadata(metadata, renewed))

    def _with_retries(self, name: str, deadline: Optional[float], attempt: Callable[[], Any]):
        policy = self._retry
        n = 0
        while True:
            n += 1
            try:
                return attempt()
            except grpc.RpcError as err:
                error = MemoricError.from_rpc_error(err)
                hint = error.retry_delay
                retryable = error.code == grpc.StatusCode.UNAVAILABLE or (
                    error.code == grpc.StatusCode.RESOURCE_EXHAUSTED and hint is not None
                )
                if not retryable or n >= policy.max_attempts or name in _NEVER_RETRIED:
                    raise error from err
                if hint is not None and hint > policy.max_hint:
                    raise error from err
                backoff = min(policy.max_backoff, policy.initial_backoff * 2 ** (n - 1))
                delay = hint + random.random() * hint * 0.2 if hint is not None else random.random() * backoff
                if deadline is not None and time.monotonic() + delay >= deadline:
                    raise error from err
                if error.code == grpc.StatusCode.UNAVAILABLE:
                    self._reconnect()
                time.sleep(delay)

    def _reconnect(self) -> None:
        """Asks the channel to connect now: after an outage grpcio's pick_first can stay in
        TRANSIENT_FAILURE once its backoff has elapsed, failing every call, until something asks."""
        self._channel.subscribe(_ignore, try_to_connect=True)
        self._channel.unsubscribe(_ignore)

    def _add_idempotency_keys(self, name: str, request) -> None:
        if name == "CreateMemory" and not request.idempotency_key:
            request.idempotency_key = str(uuid.uuid4())
        elif name == "BatchCreateMemories":
            for item in request.memories:
                if not item.idempotency_key:
                    item.idempotency_key = str(uuid.uuid4())

    def _deadline(self, timeout: Optional[float]) -> Optional[float]:
        t = timeout if timeout is not None else self._timeout
        return time.monotonic() + t if t else None

    @staticmethod
    def _left(deadline: Optional[float]) -> Optional[float]:
        return None if deadline is None else max(0.0, deadline - time.monotonic())

    @staticmethod
    def _metadata(extra: Sequence, bearer: Optional[str]):
        return tuple(extra) + ((("authorization", f"Bearer {bearer}"),) if bearer else ())


_END = object()


def _ignore(_state) -> None:
    pass



class _PublicAuth:
    """Login and Refresh for the session: public calls, with retries (never for Refresh) and no bearer."""

    def __init__(self, client: MemoricClient):
        self._client = client

    def Login(self, request: auth_pb2.LoginRequest, timeout=None):  # noqa: N802 (stub-style name)
        c = self._client
        return c._unary("Login", c._auth_stub.Login, request, None, (), authenticate=False)

    def Refresh(self, request: auth_pb2.RefreshRequest, timeout=None):  # noqa: N802
        c = self._client
        return c._unary("Refresh", c._auth_stub.Refresh, request, None, (), authenticate=False)
