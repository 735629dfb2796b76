from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import field_mask_pb2 as _field_mask_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from memoric._proto.memoric.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Iterable as _Iterable, Mapping as _Mapping, Optional as _Optional, Union as _Union

CHAT_ROLE_ASSISTANT: ChatRole
CHAT_ROLE_SYSTEM: ChatRole
CHAT_ROLE_TOOL: ChatRole
CHAT_ROLE_UNSPECIFIED: ChatRole
CHAT_ROLE_USER: ChatRole
CONTEXT_FORMAT_CHAT: ContextFormat
CONTEXT_FORMAT_STRUCTURED: ContextFormat
CONTEXT_FORMAT_TEXT: ContextFormat
CONTEXT_FORMAT_UNSPECIFIED: ContextFormat
DESCRIPTOR: _descriptor.FileDescriptor
IMPORTANCE_CRITICAL: Importance
IMPORTANCE_HIGH: Importance
IMPORTANCE_LOW: Importance
IMPORTANCE_MEDIUM: Importance
IMPORTANCE_UNSPECIFIED: Importance
MEMORY_TIER_LONG_TERM: MemoryTier
MEMORY_TIER_MID_TERM: MemoryTier
MEMORY_TIER_SHORT_TERM: MemoryTier
MEMORY_TIER_UNSPECIFIED: MemoryTier
SEARCH_MODE_DEGRADED: SearchMode
SEARCH_MODE_HYBRID: SearchMode
SEARCH_MODE_LEXICAL: SearchMode
SEARCH_MODE_UNSPECIFIED: SearchMode
SEARCH_SCOPE_AGENT: SearchScope
SEARCH_SCOPE_THREAD: SearchScope
SEARCH_SCOPE_TOPIC: SearchScope
SEARCH_SCOPE_UNSPECIFIED: SearchScope
SEARCH_SCOPE_USER: SearchScope

class BatchCreateMemoriesRequest(_message.Message):
    __slots__ = ["end_user_id", "memories"]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    end_user_id: str
    memories: _containers.RepeatedCompositeFieldContainer[CreateMemoryRequest]
    def __init__(self, memories: _Optional[_Iterable[_Union[CreateMemoryRequest, _Mapping]]] = ..., end_user_id: _Optional[str] = ...) -> None: ...

class BatchCreateMemoriesResponse(_message.Message):
    __slots__ = ["memories"]
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[Memory]
    def __init__(self, memories: _Optional[_Iterable[_Union[Memory, _Mapping]]] = ...) -> None: ...

class Cluster(_message.Message):
    __slots__ = ["category", "id", "memory_count", "summary", "topic", "updated_at"]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    MEMORY_COUNT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    category: str
    id: str
    memory_count: int
    summary: str
    topic: str
    updated_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., topic: _Optional[str] = ..., category: _Optional[str] = ..., memory_count: _Optional[int] = ..., summary: _Optional[str] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ContextMessage(_message.Message):
    __slots__ = ["content", "role"]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    content: str
    role: ChatRole
    def __init__(self, role: _Optional[_Union[ChatRole, str]] = ..., content: _Optional[str] = ...) -> None: ...

class CreateMemoryRequest(_message.Message):
    __slots__ = ["agent_id", "category", "content", "dedupe", "embedding", "end_user_id", "expires_at", "idempotency_key", "importance", "metadata", "namespace", "pinned", "role", "supersedes", "thread_id", "topic"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    DEDUPE_FIELD_NUMBER: _ClassVar[int]
    EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PINNED_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDES_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    category: str
    content: str
    dedupe: bool
    embedding: _containers.RepeatedScalarFieldContainer[float]
    end_user_id: str
    expires_at: _timestamp_pb2.Timestamp
    idempotency_key: str
    importance: Importance
    metadata: _struct_pb2.Struct
    namespace: str
    pinned: bool
    role: ChatRole
    supersedes: _containers.RepeatedScalarFieldContainer[str]
    thread_id: str
    topic: str
    def __init__(self, content: _Optional[str] = ..., thread_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., namespace: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., importance: _Optional[_Union[Importance, str]] = ..., topic: _Optional[str] = ..., category: _Optional[str] = ..., role: _Optional[_Union[ChatRole, str]] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., end_user_id: _Optional[str] = ..., pinned: bool = ..., supersedes: _Optional[_Iterable[str]] = ..., dedupe: bool = ..., embedding: _Optional[_Iterable[float]] = ...) -> None: ...

class CreateMemoryResponse(_message.Message):
    __slots__ = ["duplicate_of", "memory", "merged", "replayed"]
    DUPLICATE_OF_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    MERGED_FIELD_NUMBER: _ClassVar[int]
    REPLAYED_FIELD_NUMBER: _ClassVar[int]
    duplicate_of: str
    memory: Memory
    merged: bool
    replayed: bool
    def __init__(self, memory: _Optional[_Union[Memory, _Mapping]] = ..., replayed: bool = ..., duplicate_of: _Optional[str] = ..., merged: bool = ...) -> None: ...

class DeleteMemoriesRequest(_message.Message):
    __slots__ = ["all", "end_user_id", "filter"]
    ALL_FIELD_NUMBER: _ClassVar[int]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    all: bool
    end_user_id: str
    filter: MemoryFilter
    def __init__(self, filter: _Optional[_Union[MemoryFilter, _Mapping]] = ..., all: bool = ..., end_user_id: _Optional[str] = ...) -> None: ...

class DeleteMemoriesResponse(_message.Message):
    __slots__ = ["deleted_count"]
    DELETED_COUNT_FIELD_NUMBER: _ClassVar[int]
    deleted_count: int
    def __init__(self, deleted_count: _Optional[int] = ...) -> None: ...

class DeleteMemoryRequest(_message.Message):
    __slots__ = ["end_user_id", "id"]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    end_user_id: str
    id: str
    def __init__(self, id: _Optional[str] = ..., end_user_id: _Optional[str] = ...) -> None: ...

class DeleteMemoryResponse(_message.Message):
    __slots__ = []
    def __init__(self) -> None: ...

class ExportMemoriesRequest(_message.Message):
    __slots__ = ["all_end_users", "end_user_id", "filter"]
    ALL_END_USERS_FIELD_NUMBER: _ClassVar[int]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    all_end_users: bool
    end_user_id: str
    filter: MemoryFilter
    def __init__(self, filter: _Optional[_Union[MemoryFilter, _Mapping]] = ..., end_user_id: _Optional[str] = ..., all_end_users: bool = ...) -> None: ...

class ExportMemoriesResponse(_message.Message):
    __slots__ = ["memory", "versions"]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    memory: Memory
    versions: _containers.RepeatedCompositeFieldContainer[MemoryVersion]
    def __init__(self, memory: _Optional[_Union[Memory, _Mapping]] = ..., versions: _Optional[_Iterable[_Union[MemoryVersion, _Mapping]]] = ...) -> None: ...

class GetContextRequest(_message.Message):
    __slots__ = ["agent_id", "end_user_id", "format", "max_chars", "min_score", "query", "query_embedding", "thread_id"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    MAX_CHARS_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    QUERY_EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    end_user_id: str
    format: ContextFormat
    max_chars: int
    min_score: float
    query: str
    query_embedding: _containers.RepeatedScalarFieldContainer[float]
    thread_id: str
    def __init__(self, query: _Optional[str] = ..., thread_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., format: _Optional[_Union[ContextFormat, str]] = ..., max_chars: _Optional[int] = ..., end_user_id: _Optional[str] = ..., min_score: _Optional[float] = ..., query_embedding: _Optional[_Iterable[float]] = ...) -> None: ...

class GetContextResponse(_message.Message):
    __slots__ = ["context", "format", "memory_ids", "messages", "mode", "truncated"]
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    MEMORY_IDS_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    MODE_FIELD_NUMBER: _ClassVar[int]
    TRUNCATED_FIELD_NUMBER: _ClassVar[int]
    context: str
    format: ContextFormat
    memory_ids: _containers.RepeatedScalarFieldContainer[str]
    messages: _containers.RepeatedCompositeFieldContainer[ContextMessage]
    mode: SearchMode
    truncated: bool
    def __init__(self, context: _Optional[str] = ..., format: _Optional[_Union[ContextFormat, str]] = ..., messages: _Optional[_Iterable[_Union[ContextMessage, _Mapping]]] = ..., memory_ids: _Optional[_Iterable[str]] = ..., truncated: bool = ..., mode: _Optional[_Union[SearchMode, str]] = ...) -> None: ...

class GetMemoryHistoryRequest(_message.Message):
    __slots__ = ["end_user_id", "id"]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    end_user_id: str
    id: str
    def __init__(self, id: _Optional[str] = ..., end_user_id: _Optional[str] = ...) -> None: ...

class GetMemoryHistoryResponse(_message.Message):
    __slots__ = ["versions"]
    VERSIONS_FIELD_NUMBER: _ClassVar[int]
    versions: _containers.RepeatedCompositeFieldContainer[MemoryVersion]
    def __init__(self, versions: _Optional[_Iterable[_Union[MemoryVersion, _Mapping]]] = ...) -> None: ...

class GetMemoryRequest(_message.Message):
    __slots__ = ["end_user_id", "id"]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    end_user_id: str
    id: str
    def __init__(self, id: _Optional[str] = ..., end_user_id: _Optional[str] = ...) -> None: ...

class GetMemoryResponse(_message.Message):
    __slots__ = ["memory"]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    memory: Memory
    def __init__(self, memory: _Optional[_Union[Memory, _Mapping]] = ...) -> None: ...

class ListClustersRequest(_message.Message):
    __slots__ = ["end_user_id", "limit", "topic"]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    end_user_id: str
    limit: int
    topic: str
    def __init__(self, topic: _Optional[str] = ..., limit: _Optional[int] = ..., end_user_id: _Optional[str] = ...) -> None: ...

class ListClustersResponse(_message.Message):
    __slots__ = ["clusters"]
    CLUSTERS_FIELD_NUMBER: _ClassVar[int]
    clusters: _containers.RepeatedCompositeFieldContainer[Cluster]
    def __init__(self, clusters: _Optional[_Iterable[_Union[Cluster, _Mapping]]] = ...) -> None: ...

class ListMemoriesRequest(_message.Message):
    __slots__ = ["end_user_id", "filter", "page_size", "page_token"]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    end_user_id: str
    filter: MemoryFilter
    page_size: int
    page_token: str
    def __init__(self, filter: _Optional[_Union[MemoryFilter, _Mapping]] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., end_user_id: _Optional[str] = ...) -> None: ...

class ListMemoriesResponse(_message.Message):
    __slots__ = ["memories", "next_page_token"]
    MEMORIES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    memories: _containers.RepeatedCompositeFieldContainer[Memory]
    next_page_token: str
    def __init__(self, memories: _Optional[_Iterable[_Union[Memory, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class Memory(_message.Message):
    __slots__ = ["agent_id", "category", "content", "created_at", "end_user_id", "entities", "expires_at", "id", "importance", "is_summary", "metadata", "namespace", "pinned", "role", "summarized", "superseded_by", "thread_id", "tier", "topic", "updated_at", "version"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    ENTITIES_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    IS_SUMMARY_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PINNED_FIELD_NUMBER: _ClassVar[int]
    ROLE_FIELD_NUMBER: _ClassVar[int]
    SUMMARIZED_FIELD_NUMBER: _ClassVar[int]
    SUPERSEDED_BY_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    category: str
    content: str
    created_at: _timestamp_pb2.Timestamp
    end_user_id: str
    entities: _containers.RepeatedScalarFieldContainer[str]
    expires_at: _timestamp_pb2.Timestamp
    id: str
    importance: Importance
    is_summary: bool
    metadata: _struct_pb2.Struct
    namespace: str
    pinned: bool
    role: ChatRole
    summarized: bool
    superseded_by: str
    thread_id: str
    tier: MemoryTier
    topic: str
    updated_at: _timestamp_pb2.Timestamp
    version: int
    def __init__(self, id: _Optional[str] = ..., content: _Optional[str] = ..., thread_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., namespace: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., importance: _Optional[_Union[Importance, str]] = ..., topic: _Optional[str] = ..., category: _Optional[str] = ..., role: _Optional[_Union[ChatRole, str]] = ..., tier: _Optional[_Union[MemoryTier, str]] = ..., entities: _Optional[_Iterable[str]] = ..., summarized: bool = ..., is_summary: bool = ..., version: _Optional[int] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_user_id: _Optional[str] = ..., pinned: bool = ..., superseded_by: _Optional[str] = ...) -> None: ...

class MemoryFilter(_message.Message):
    __slots__ = ["agent_id", "category", "created_after", "created_before", "metadata", "min_importance", "namespace", "thread_id", "tier", "topic"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CREATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    CREATED_BEFORE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    MIN_IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    category: str
    created_after: _timestamp_pb2.Timestamp
    created_before: _timestamp_pb2.Timestamp
    metadata: _struct_pb2.Struct
    min_importance: Importance
    namespace: str
    thread_id: str
    tier: MemoryTier
    topic: str
    def __init__(self, thread_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., namespace: _Optional[str] = ..., tier: _Optional[_Union[MemoryTier, str]] = ..., topic: _Optional[str] = ..., category: _Optional[str] = ..., created_after: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., created_before: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., min_importance: _Optional[_Union[Importance, str]] = ...) -> None: ...

class MemoryVersion(_message.Message):
    __slots__ = ["content", "created_at", "metadata", "reason", "version"]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    VERSION_FIELD_NUMBER: _ClassVar[int]
    content: str
    created_at: _timestamp_pb2.Timestamp
    metadata: _struct_pb2.Struct
    reason: str
    version: int
    def __init__(self, version: _Optional[int] = ..., content: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., reason: _Optional[str] = ..., created_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class PolicyActionCount(_message.Message):
    __slots__ = ["action", "count", "tier"]
    ACTION_FIELD_NUMBER: _ClassVar[int]
    COUNT_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    action: str
    count: int
    tier: MemoryTier
    def __init__(self, action: _Optional[str] = ..., tier: _Optional[_Union[MemoryTier, str]] = ..., count: _Optional[int] = ...) -> None: ...

class RebuildClustersRequest(_message.Message):
    __slots__ = ["end_user_id"]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    end_user_id: str
    def __init__(self, end_user_id: _Optional[str] = ...) -> None: ...

class RebuildClustersResponse(_message.Message):
    __slots__ = ["cluster_count"]
    CLUSTER_COUNT_FIELD_NUMBER: _ClassVar[int]
    cluster_count: int
    def __init__(self, cluster_count: _Optional[int] = ...) -> None: ...

class RunPoliciesRequest(_message.Message):
    __slots__ = ["dry_run"]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    dry_run: bool
    def __init__(self, dry_run: bool = ...) -> None: ...

class RunPoliciesResponse(_message.Message):
    __slots__ = ["counts", "dry_run", "duration"]
    COUNTS_FIELD_NUMBER: _ClassVar[int]
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    counts: _containers.RepeatedCompositeFieldContainer[PolicyActionCount]
    dry_run: bool
    duration: _duration_pb2.Duration
    def __init__(self, dry_run: bool = ..., counts: _Optional[_Iterable[_Union[PolicyActionCount, _Mapping]]] = ..., duration: _Optional[_Union[_duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class ScoreExplanation(_message.Message):
    __slots__ = ["bm25", "bm25_attainable", "dense", "importance", "lexical_relevance", "recency", "relevance", "thread_boost", "topic_boost", "weighted_importance", "weighted_recency", "weighted_relevance"]
    BM25_ATTAINABLE_FIELD_NUMBER: _ClassVar[int]
    BM25_FIELD_NUMBER: _ClassVar[int]
    DENSE_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    LEXICAL_RELEVANCE_FIELD_NUMBER: _ClassVar[int]
    RECENCY_FIELD_NUMBER: _ClassVar[int]
    RELEVANCE_FIELD_NUMBER: _ClassVar[int]
    THREAD_BOOST_FIELD_NUMBER: _ClassVar[int]
    TOPIC_BOOST_FIELD_NUMBER: _ClassVar[int]
    WEIGHTED_IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    WEIGHTED_RECENCY_FIELD_NUMBER: _ClassVar[int]
    WEIGHTED_RELEVANCE_FIELD_NUMBER: _ClassVar[int]
    bm25: float
    bm25_attainable: float
    dense: float
    importance: float
    lexical_relevance: float
    recency: float
    relevance: float
    thread_boost: float
    topic_boost: float
    weighted_importance: float
    weighted_recency: float
    weighted_relevance: float
    def __init__(self, relevance: _Optional[float] = ..., recency: _Optional[float] = ..., importance: _Optional[float] = ..., thread_boost: _Optional[float] = ..., topic_boost: _Optional[float] = ..., weighted_relevance: _Optional[float] = ..., weighted_recency: _Optional[float] = ..., weighted_importance: _Optional[float] = ..., bm25: _Optional[float] = ..., bm25_attainable: _Optional[float] = ..., lexical_relevance: _Optional[float] = ..., dense: _Optional[float] = ...) -> None: ...

class ScoredMemory(_message.Message):
    __slots__ = ["explanation", "memory", "score"]
    EXPLANATION_FIELD_NUMBER: _ClassVar[int]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    explanation: ScoreExplanation
    memory: Memory
    score: float
    def __init__(self, memory: _Optional[_Union[Memory, _Mapping]] = ..., score: _Optional[float] = ..., explanation: _Optional[_Union[ScoreExplanation, _Mapping]] = ...) -> None: ...

class SearchMemoriesRequest(_message.Message):
    __slots__ = ["agent_id", "end_user_id", "explain", "filter", "min_score", "query", "query_embedding", "scope", "thread_id", "top_k", "topic"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPLAIN_FIELD_NUMBER: _ClassVar[int]
    FILTER_FIELD_NUMBER: _ClassVar[int]
    MIN_SCORE_FIELD_NUMBER: _ClassVar[int]
    QUERY_EMBEDDING_FIELD_NUMBER: _ClassVar[int]
    QUERY_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    TOP_K_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    end_user_id: str
    explain: bool
    filter: MemoryFilter
    min_score: float
    query: str
    query_embedding: _containers.RepeatedScalarFieldContainer[float]
    scope: SearchScope
    thread_id: str
    top_k: int
    topic: str
    def __init__(self, query: _Optional[str] = ..., scope: _Optional[_Union[SearchScope, str]] = ..., thread_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., topic: _Optional[str] = ..., filter: _Optional[_Union[MemoryFilter, _Mapping]] = ..., top_k: _Optional[int] = ..., explain: bool = ..., end_user_id: _Optional[str] = ..., min_score: _Optional[float] = ..., query_embedding: _Optional[_Iterable[float]] = ...) -> None: ...

class SearchMemoriesResponse(_message.Message):
    __slots__ = ["mode", "results"]
    MODE_FIELD_NUMBER: _ClassVar[int]
    RESULTS_FIELD_NUMBER: _ClassVar[int]
    mode: SearchMode
    results: _containers.RepeatedCompositeFieldContainer[ScoredMemory]
    def __init__(self, results: _Optional[_Iterable[_Union[ScoredMemory, _Mapping]]] = ..., mode: _Optional[_Union[SearchMode, str]] = ...) -> None: ...

class UpdateMemoryRequest(_message.Message):
    __slots__ = ["agent_id", "category", "content", "end_user_id", "expires_at", "id", "importance", "metadata", "namespace", "pinned", "thread_id", "topic", "update_mask"]
    AGENT_ID_FIELD_NUMBER: _ClassVar[int]
    CATEGORY_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    END_USER_ID_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    IMPORTANCE_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    NAMESPACE_FIELD_NUMBER: _ClassVar[int]
    PINNED_FIELD_NUMBER: _ClassVar[int]
    THREAD_ID_FIELD_NUMBER: _ClassVar[int]
    TOPIC_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    agent_id: str
    category: str
    content: str
    end_user_id: str
    expires_at: _timestamp_pb2.Timestamp
    id: str
    importance: Importance
    metadata: _struct_pb2.Struct
    namespace: str
    pinned: bool
    thread_id: str
    topic: str
    update_mask: _field_mask_pb2.FieldMask
    def __init__(self, id: _Optional[str] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., content: _Optional[str] = ..., thread_id: _Optional[str] = ..., agent_id: _Optional[str] = ..., namespace: _Optional[str] = ..., metadata: _Optional[_Union[_struct_pb2.Struct, _Mapping]] = ..., importance: _Optional[_Union[Importance, str]] = ..., topic: _Optional[str] = ..., category: _Optional[str] = ..., expires_at: _Optional[_Union[_timestamp_pb2.Timestamp, _Mapping]] = ..., end_user_id: _Optional[str] = ..., pinned: bool = ...) -> None: ...

class UpdateMemoryResponse(_message.Message):
    __slots__ = ["memory"]
    MEMORY_FIELD_NUMBER: _ClassVar[int]
    memory: Memory
    def __init__(self, memory: _Optional[_Union[Memory, _Mapping]] = ...) -> None: ...

class Importance(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class MemoryTier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class SearchScope(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ChatRole(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class ContextFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []

class SearchMode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = []
