from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

ACCESS_CLASS_AUTHENTICATED: AccessClass
ACCESS_CLASS_PERMISSION: AccessClass
ACCESS_CLASS_PUBLIC: AccessClass
ACCESS_CLASS_UNSPECIFIED: AccessClass
ACCESS_CLASS_USER_SESSION: AccessClass
ACCESS_FIELD_NUMBER: _ClassVar[int]
DESCRIPTOR: _descriptor.FileDescriptor
access: _descriptor.FieldDescriptor

class AccessRule(_message.Message):
    __slots__ = ["access_class", "audit_event", "permission", "resource"]
    ACCESS_CLASS_FIELD_NUMBER: _ClassVar[int]
    AUDIT_EVENT_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    access_class: AccessClass
    audit_event: str
    permission: str
    resource: str
    def __init__(self, access_class: _Optional[_Union[AccessClass, str]] = ..., permission: _Optional[str] = ..., audit_event: _Optional[str] = ..., resource: _Optional[str] = ...) -> None: ...

class AccessClass(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
