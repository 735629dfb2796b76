"""The generated messages and enums of memoric.v1, in one namespace: `from memoric.v1 import Memory`."""

from memoric._proto.memoric.v1.audit_pb2 import *  # noqa: F401,F403
from memoric._proto.memoric.v1.auth_pb2 import *  # noqa: F401,F403
from memoric._proto.memoric.v1.end_users_pb2 import *  # noqa: F401,F403
from memoric._proto.memoric.v1.memory_pb2 import *  # noqa: F401,F403
