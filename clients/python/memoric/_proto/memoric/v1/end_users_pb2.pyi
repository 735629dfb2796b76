from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from memoric._proto.memoric.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateEndUserRequest(_message.Message):
    __slots__ = ["end_user_id"]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    end_user_id: str
    def __init__(self, end_user_id: _Optional[str] = ...) -> None: ...

class CreateEndUserResponse(_message.Message):
    __slots__ = ["created", "end_user"]
    CREATED_FIELD_NUMBER: _ClassVar[int]
    END_USER_FIELD_NUMBER: _ClassVar[int]
    created: bool
    end_user: EndUser
    def __init__(self, end_user: _Optional[_Union[EndUser, _Mapping]] = ..., created: bool = ...) -> None: ...

class DeleteEndUserRequest(_message.Message):
    __slots__ = ["end_user_id"]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    end_user_id: str
    def __init__(self, end_user_id: _Optional[str] = ...) -> None: ...

class DeleteEndUserResponse(_message.Message):
    __slots__ = ["clusters_deleted", "id", "key_destroyed", "memories_deleted", "versions_deleted"]
    CLUSTERS_DELETED_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    KEY_DESTROYED_FIELD_NUMBER: _ClassVar[int]
    MEMORIES_DELETED_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_DELETED_FIELD_NUMBER: _ClassVar[int]
    clusters_deleted: int
    id: str
    key_destroyed: bool
    memories_deleted: int
    versions_deleted: int
    def __init__(self, id: _Optional[str] = ..., memories_deleted: _Optional[int] = ..., versions_deleted: _Optional[int] = ..., clusters_deleted: _Optional[int] = ..., key_destroyed: bool = ...) -> None: ...

class EndUser(_message.Message):
    __slots__ = ["created_at", "end_user_id", "id", "memory_count"]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_COUNT_FIELD_NUMBER: _ClassVar[int]
    created_at: _timestamp_pb2.Timestamp
    end_user_id: str
    id: str
    memory_count: int
    def __init__(self, end_user_id: _Optional[str] = ..., id: _Optional[str] = ..., memory_count: _Optional[int] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetEndUserRequest(_message.Message):
    __slots__ = ["end_user_id"]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    end_user_id: str
    def __init__(self, end_user_id: _Optional[str] = ...) -> None: ...

class GetEndUserResponse(_message.Message):
    __slots__ = ["end_user"]
    END_USER_FIELD_NUMBER: _ClassVar[int]
    end_user: EndUser
    def __init__(self, end_user: _Optional[_Union[EndUser, _Mapping]] = ...) -> None: ...

class IssueEndUserTokenRequest(_message.Message):
    __slots__ = ["end_user_id", "permissions", "thread_id", "ttl"]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    end_user_id: str
    permissions: _containers.RepeatedScalarFieldContainer[str]
    thread_id: str
    ttl: _duration_pb2.Duration
    def __init__(self, end_user_id: _Optional[str] = ..., permissions: _Optional[_Iterable[str]] = ..., thread_id: _Optional[str] = ..., ttl: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class IssueEndUserTokenResponse(_message.Message):
    __slots__ = ["end_user", "expires_at", "expires_in", "permissions", "token"]
    END_USER_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    end_user: EndUser
    expires_at: _timestamp_pb2.Timestamp
    expires_in: int
    permissions: _containers.RepeatedScalarFieldContainer[str]
    token: str
    def __init__(self, token: _Optional[str] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., expires_in: _Optional[int] = ..., end_user: _Optional[_Union[EndUser, _Mapping]] = ..., permissions: _Optional[_Iterable[str]] = ...) -> None: ...

class ListEndUsersRequest(_message.Message):
    __slots__ = ["page_size", "page_token"]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    page_size: int
    page_token: str
    def __init__(self, page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class ListEndUsersResponse(_message.Message):
    __slots__ = ["end_users", "next_page_token"]
    END_USERS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    end_users: _containers.RepeatedCompositeFieldContainer[EndUser]
    next_page_token: str
    def __init__(self, end_users: _Optional[_Iterable[_Union[EndUser, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class RevokeEndUserTokensRequest(_message.Message):
    __slots__ = ["end_user_id"]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    end_user_id: str
    def __init__(self, end_user_id: _Optional[str] = ...) -> None: ...

class RevokeEndUserTokensResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...
