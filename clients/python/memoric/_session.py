"""The credential behind a client: an API key, a login, a token pair, or a delegated end-user token.

Hands out the bearer for each call, refreshes an access token shortly before it expires and, once
per failed call, recovers from UNAUTHENTICATED (refresh, new login or a new end-user token).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Optional, Union

import grpc

from memoric._proto.memoric.v1 import auth_pb2

EndUserTokenSource = Union[str, Callable[[], str]]


@dataclass
class _Tokens:
    access: str
    refresh: Optional[str]
    expires_at: Optional[float]
    lifetime: Optional[float]


def _lifetime(expires_in: Optional[float], now: float):
    if not expires_in or expires_in <= 0:
        return None, None
    return now + expires_in, float(expires_in)


class Session:
    def __init__(
        self,
        auth_stub,
        *,
        api_key: Optional[str] = None,
        username: Optional[str] = None,
        password: Optional[str] = None,
        token: Optional[str] = None,
        refresh_token: Optional[str] = None,
        expires_in: Optional[float] = None,
        end_user_token: Optional[EndUserTokenSource] = None,
        timeout: Optional[float] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._stub = auth_stub
        self._api_key = api_key
        self._login = (username, password) if username is not None else None
        self._end_user_token = end_user_token
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        #: How many times an access token was refreshed (or re-obtained) so far.
        self.refresh_count = 0
        self._tokens: Optional[_Tokens] = None
        if token is not None:
            self._tokens = _Tokens(token, refresh_token, *_lifetime(expires_in, clock()))

    def bearer(self) -> Optional[str]:
        if self._api_key is not None:
            return self._api_key
        if self._login is None and self._end_user_token is None and self._tokens is None:
            return None
        t = self._tokens
        if t is None:
            return self._renew(None)
        if t.refresh and t.expires_at is not None and t.lifetime is not None:
            margin = max(5.0, t.lifetime / 10)
            if self._clock() >= t.expires_at - margin:
                return self._renew(t.access)
        return t.access

    def recover(self, failed: Optional[str]) -> Optional[str]:
        """After UNAUTHENTICATED for `failed`: a new bearer, or None when nothing can be done."""
        if self._api_key is not None or isinstance(self._end_user_token, str):
            return None
        if self._login is None and self._end_user_token is None and not (self._tokens and self._tokens.refresh):
            return None
        renewed = self._renew(failed)
        return renewed if renewed and renewed != failed else None

    def _renew(self, stale: Optional[str]) -> Optional[str]:
        with self._lock:
            if self._tokens is not None and self._tokens.access != stale:
                return self._tokens.access  # another thread renewed it meanwhile
            had_token = self._tokens is not None
            nxt = self._obtain()
            if nxt is not None and had_token:
                self.refresh_count += 1
            self._tokens = nxt
            return nxt.access if nxt else None

    def _obtain(self) -> Optional[_Tokens]:
        if self._end_user_token is not None:
            source = self._end_user_token
            return _Tokens(source if isinstance(source, str) else source(), None, None, None)
        if self._tokens is not None and self._tokens.refresh:
            try:
                r = self._stub.Refresh(auth_pb2.RefreshRequest(refresh_token=self._tokens.refresh), timeout=self._timeout)
                return _Tokens(r.access_token, r.refresh_token, *_lifetime(r.expires_in, self._clock()))
            except grpc.RpcError:
                if self._login is None:
                    raise
        if self._login is not None:
            username, password = self._login
            r = self._stub.Login(auth_pb2.LoginRequest(username=username, password=password), timeout=self._timeout)
            return _Tokens(r.access_token, r.refresh_token, *_lifetime(r.expires_in, self._clock()))
        return None
