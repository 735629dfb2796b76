"""MemoricClient's pipeline against an in-process grpcio server (no Memoric server needed):
retries and their hints, Refresh never retried, one idempotency key per create, refresh before
expiry, one recovery on UNAUTHENTICATED, and stream retries before the first message."""

import time
import unittest
from concurrent import futures

import grpc
from google.protobuf import duration_pb2

from memoric import MemoricClient, MemoricError, RetryPolicy
from memoric._proto.google.rpc import error_details_pb2, status_pb2
from memoric._proto.memoric.v1 import auth_pb2, auth_pb2_grpc, memory_pb2, memory_pb2_grpc


def abort_with_hint(context, code, seconds):
    info = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=int(seconds), nanos=int(seconds % 1 * 1e9)))
    status = status_pb2.Status(code=code.value[0], message="slow down")
    status.details.add().Pack(info)
    context.abort_with_status(_Status(code, "slow down", status.SerializeToString()))


class _Status(grpc.Status):
    def __init__(self, code, details, raw):
        self.code, self.details = code, details
        self.trailing_metadata = (("grpc-status-details-bin", raw),)


class Memory(memory_pb2_grpc.MemoryServiceServicer):
    def __init__(self):
        self.keys, self.failures, self.hint, self.exports, self.seen_auth = [], 0, None, 0, []

    def CreateMemory(self, request, context):
        self.keys.append(request.idempotency_key)
        if len(self.keys) <= self.failures:
            if self.hint is not None:
                abort_with_hint(context, grpc.StatusCode.RESOURCE_EXHAUSTED, self.hint)
            context.abort(grpc.StatusCode.UNAVAILABLE, "down")
        return memory_pb2.CreateMemoryResponse(memory=memory_pb2.Memory(id="m1", content=request.content))

    def ListMemories(self, request, context):
        auth = dict(context.invocation_metadata()).get("authorization", "")
        self.seen_auth.append(auth)
        if auth != "Bearer fresh":
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "expired")
        return memory_pb2.ListMemoriesResponse()

    def ExportMemories(self, request, context):
        self.exports += 1
        if self.exports == 1:
            context.abort(grpc.StatusCode.UNAVAILABLE, "down")
        for i in range(3):
            yield memory_pb2.ExportMemoriesResponse(memory=memory_pb2.Memory(id=f"m{i}"))


class Auth(auth_pb2_grpc.AuthServiceServicer):
    def __init__(self):
        self.refreshes = 0
        self.fail = False

    def Refresh(self, request, context):
        self.refreshes += 1
        if self.fail:
            context.abort(grpc.StatusCode.UNAVAILABLE, "down")
        time.sleep(0.05)
        return auth_pb2.RefreshResponse(access_token="fresh", refresh_token="r2", expires_in=900)


class ClientPipelineTest(unittest.TestCase):
    def setUp(self):
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self.memory, self.auth = Memory(), Auth()
        memory_pb2_grpc.add_MemoryServiceServicer_to_server(self.memory, self.server)
        auth_pb2_grpc.add_AuthServiceServicer_to_server(self.auth, self.server)
        port = self.server.add_insecure_port("127.0.0.1:0")
        self.server.start()
        self.url = f"http://127.0.0.1:{port}"

    def tearDown(self):
        self.server.stop(None)

    def client(self, **kw):
        kw.setdefault("api_key", "mk_test")
        return MemoricClient(self.url, retry=RetryPolicy(initial_backoff=0.01, max_hint=1.0), **kw)

    def test_retries_unavailable_with_one_idempotency_key(self):
        self.memory.failures = 2
        res = self.client().memories.create_memory(content="x")
        self.assertEqual(res.memory.id, "m1")
        self.assertEqual(len(self.memory.keys), 3)
        self.assertEqual(len(set(self.memory.keys)), 1)
        self.assertEqual(len(self.memory.keys[0]), 36)

    def test_waits_for_hint_and_refuses_long_hints(self):
        self.memory.failures, self.memory.hint = 1, 0.2
        started = time.monotonic()
        self.client().memories.create_memory(content="x")
        self.assertGreaterEqual(time.monotonic() - started, 0.2)
        self.memory.keys, self.memory.failures, self.memory.hint = [], 5, 3.0
        with self.assertRaises(MemoricError) as caught:
            self.client().memories.create_memory(content="x")
        self.assertEqual(caught.exception.code_name, "RESOURCE_EXHAUSTED")
        self.assertAlmostEqual(caught.exception.retry_delay, 3.0)
        self.assertEqual(len(self.memory.keys), 1)

    def test_never_retries_refresh(self):
        self.auth.fail = True
        with self.assertRaises(MemoricError):
            self.client().auth.refresh(refresh_token="r")
        self.assertEqual(self.auth.refreshes, 1)

    def test_refreshes_before_expiry_once_for_concurrent_calls(self):
        client = self.client(api_key=None, token="old", refresh_token="r1", expires_in=3)
        with futures.ThreadPoolExecutor(max_workers=4) as pool:
            list(pool.map(lambda _: client.memories.list_memories(), range(4)))
        self.assertEqual(self.auth.refreshes, 1)
        self.assertEqual(set(self.memory.seen_auth), {"Bearer fresh"})
        self.assertEqual(client.session.refresh_count, 1)

    def test_recovers_once_from_unauthenticated(self):
        client = self.client(api_key=None, token="old", refresh_token="r1", expires_in=900)
        client.memories.list_memories()
        self.assertEqual(self.memory.seen_auth, ["Bearer old", "Bearer fresh"])
        stuck = self.client(api_key="mk_wrong")
        with self.assertRaises(MemoricError) as caught:
            stuck.memories.list_memories()
        self.assertEqual(caught.exception.code_name, "UNAUTHENTICATED")

    def test_export_retried_before_its_first_message(self):
        ids = [item.memory.id for item in self.client().memories.export_all()]
        self.assertEqual(ids, ["m0", "m1", "m2"])
        self.assertEqual(self.memory.exports, 2)


if __name__ == "__main__":
    unittest.main()
