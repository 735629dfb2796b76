from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from memoric._proto.memoric.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
PRINCIPAL_TYPE_ANONYMOUS: PrincipalType
PRINCIPAL_TYPE_API_KEY: PrincipalType
PRINCIPAL_TYPE_END_USER: PrincipalType
PRINCIPAL_TYPE_SYSTEM: PrincipalType
PRINCIPAL_TYPE_UNSPECIFIED: PrincipalType
PRINCIPAL_TYPE_USER: PrincipalType
SEVERITY_CRITICAL: Severity
SEVERITY_DEBUG: Severity
SEVERITY_ERROR: Severity
SEVERITY_INFO: Severity
SEVERITY_UNSPECIFIED: Severity
SEVERITY_WARNING: Severity

class AuditLog(_message.Message):
    __slots__ = ["client_address", "code", "details", "error_message", "event_type", "hash", "id", "method", "principal_id", "principal_type", "request_id", "resource_id", "resource_type", "roles", "sequence", "service", "session_id", "severity", "shard", "success", "time", "user_agent"]
    CLIENT_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    DETAILS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    HASH_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_ID_FIELD_NUMBER: _ClassVar[int]
    PRINCIPAL_TYPE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    client_address: str
    code: str
    details: _struct_pb2.Struct
    error_message: str
    event_type: str
    hash: str
    id: str
    method: str
    principal_id: str
    principal_type: PrincipalType
    request_id: str
    resource_id: str
    resource_type: str
    roles: _containers.RepeatedScalarFieldContainer[str]
    sequence: int
    service: str
    session_id: str
    severity: Severity
    shard: int
    success: bool
    time: _timestamp_pb2.Timestamp
    user_agent: str
    def __init__(self, id: _Optional[str] = ..., shard: _Optional[int] = ..., sequence: _Optional[int] = ..., event_type: _Optional[str] = ..., severity: _Optional[_Union[Severity, str]] = ..., time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., principal_id: _Optional[str] = ..., principal_type: _Optional[_Union[PrincipalType, str]] = ..., roles: _Optional[_Iterable[str]] = ..., service: _Optional[str] = ..., method: _Optional[str] = ..., resource_type: _Optional[str] = ..., resource_id: _Optional[str] = ..., success: bool = ..., code: _Optional[str] = ..., error_message: _Optional[str] = ..., client_address: _Optional[str] = ..., user_agent: _Optional[str] = ..., request_id: _Optional[str] = ..., session_id: _Optional[str] = ..., details: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., hash: _Optional[str] = ...) -> None: ...

class ChainFault(_message.Message):
    __slots__ = ["audit_log_id", "reason", "sequence", "shard"]
    AUDIT_LOG_ID_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    SHARD_FIELD_NUMBER: _ClassVar[int]
    audit_log_id: str
    reason: str
    sequence: int
    shard: int
    def __init__(self, shard: _Optional[int] = ..., sequence: _Optional[int] = ..., audit_log_id: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...

class EventType(_message.Message):
    __slots__ = ["category", "default_severity", "description", "name"]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_SEVERITY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    category: str
    default_severity: Severity
    description: str
    name: str
    def __init__(self, name: _Optional[str] = ..., category: _Optional[str] = ..., default_severity: _Optional[_Union[Severity, str]] = ..., description: _Optional[str] = ...) -> None: ...

class EventTypeCount(_message.Message):
    __slots__ = ["count", "event_type"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    count: int
    event_type: str
    def __init__(self, event_type: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class GetAuditStatisticsRequest(_message.Message):
    __slots__ = ["since", "until"]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    UNTIL_FIELD_NUMBER: _ClassVar[int]
    since: _timestamp_pb2.Timestamp
    until: _timestamp_pb2.Timestamp
    def __init__(self, since: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., until: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class GetAuditStatisticsResponse(_message.Message):
    __slots__ = ["by_event_type", "failure_count", "success_count", "top_denied_methods", "total", "unique_principals"]
    BY_EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    FAILURE_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOP_DENIED_METHODS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    UNIQUE_PRINCIPALS_FIELD_NUMBER: _ClassVar[int]
    by_event_type: _containers.RepeatedCompositeFieldContainer[EventTypeCount]
    failure_count: int
    success_count: int
    top_denied_methods: _containers.RepeatedCompositeFieldContainer[MethodCount]
    total: int
    unique_principals: int
    def __init__(self, total: _Optional[int] = ..., success_count: _Optional[int] = ..., failure_count: _Optional[int] = ..., unique_principals: _Optional[int] = ..., by_event_type: _Optional[_Iterable[_Union[EventTypeCount, _Mapping]]] = ..., top_denied_methods: _Optional[_Iterable[_Union[MethodCount, _Mapping]]] = ...) -> None: ...

class GetSecurityEventsRequest(_message.Message):
    __slots__ = ["limit", "since"]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    limit: int
    since: _timestamp_pb2.Timestamp
    def __init__(self, since: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class GetSecurityEventsResponse(_message.Message):
    __slots__ = ["logs", "total"]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    logs: _containers.RepeatedCompositeFieldContainer[AuditLog]
    total: int
    def __init__(self, logs: _Optional[_Iterable[_Union[AuditLog, _Mapping]]] = ..., total: _Optional[int] = ...) -> None: ...

class GetUserActivityRequest(_message.Message):
    __slots__ = ["limit", "since", "user_id"]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    SINCE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    limit: int
    since: _timestamp_pb2.Timestamp
    user_id: str
    def __init__(self, user_id: _Optional[str] = ..., since: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., limit: _Optional[int] = ...) -> None: ...

class GetUserActivityResponse(_message.Message):
    __slots__ = ["by_event_type", "logs", "total"]
    BY_EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    by_event_type: _containers.RepeatedCompositeFieldContainer[EventTypeCount]
    logs: _containers.RepeatedCompositeFieldContainer[AuditLog]
    total: int
    def __init__(self, logs: _Optional[_Iterable[_Union[AuditLog, _Mapping]]] = ..., total: _Optional[int] = ..., by_event_type: _Optional[_Iterable[_Union[EventTypeCount, _Mapping]]] = ...) -> None: ...

class ListEventTypesRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListEventTypesResponse(_message.Message):
    __slots__ = ["event_types"]
    EVENT_TYPES_FIELD_NUMBER: _ClassVar[int]
    event_types: _containers.RepeatedCompositeFieldContainer[EventType]
    def __init__(self, event_types: _Optional[_Iterable[_Union[EventType, _Mapping]]] = ...) -> None: ...

class ListSeverityLevelsRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ListSeverityLevelsResponse(_message.Message):
    __slots__ = ["levels"]
    LEVELS_FIELD_NUMBER: _ClassVar[int]
    levels: _containers.RepeatedCompositeFieldContainer[SeverityLevel]
    def __init__(self, levels: _Optional[_Iterable[_Union[SeverityLevel, _Mapping]]] = ...) -> None: ...

class MethodCount(_message.Message):
    __slots__ = ["count", "method"]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    count: int
    method: str
    def __init__(self, method: _Optional[str] = ..., count: _Optional[int] = ...) -> None: ...

class QueryAuditLogsRequest(_message.Message):
    __slots__ = ["end_time", "event_type", "page_size", "page_token", "resource_id", "resource_type", "severity", "start_time", "success", "user_id"]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    EVENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_ID_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_TYPE_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    SUCCESS_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    end_time: _timestamp_pb2.Timestamp
    event_type: str
    page_size: int
    page_token: str
    resource_id: str
    resource_type: str
    severity: Severity
    start_time: _timestamp_pb2.Timestamp
    success: bool
    user_id: str
    def __init__(self, event_type: _Optional[str] = ..., user_id: _Optional[str] = ..., resource_type: _Optional[str] = ..., resource_id: _Optional[str] = ..., success: bool = ..., severity: _Optional[_Union[Severity, str]] = ..., start_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ...) -> None: ...

class QueryAuditLogsResponse(_message.Message):
    __slots__ = ["logs", "next_page_token", "total"]
    LOGS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    logs: _containers.RepeatedCompositeFieldContainer[AuditLog]
    next_page_token: str
    total: int
    def __init__(self, logs: _Optional[_Iterable[_Union[AuditLog, _Mapping]]] = ..., total: _Optional[int] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class SeverityLevel(_message.Message):
    __slots__ = ["name", "severity"]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    name: str
    severity: Severity
    def __init__(self, severity: _Optional[_Union[Severity, str]] = ..., name: _Optional[str] = ...) -> None: ...

class VerifyAuditChainRequest(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class VerifyAuditChainResponse(_message.Message):
    __slots__ = ["checked", "checkpoints_verified", "first_bad", "ok"]
    CHECKED_FIELD_NUMBER: _ClassVar[int]
    CHECKPOINTS_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    FIRST_BAD_FIELD_NUMBER: _ClassVar[int]
    OK_FIELD_NUMBER: _ClassVar[int]
    checked: int
    checkpoints_verified: int
    first_bad: ChainFault
    ok: bool
    def __init__(self, ok: bool = ..., checked: _Optional[int] = ..., first_bad: _Optional[_Union[ChainFault, _Mapping]] = ..., checkpoints_verified: _Optional[int] = ...) -> None: ...

class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class PrincipalType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
