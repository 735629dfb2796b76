"""The client acceptance scenario in Python (same steps and report as test/clients/scenario.ts).

Reads its parameters as JSON on stdin, prints the report as one JSON line on stdout.
"""

import json
import sys

import grpc

from memoric import MemoricClient, MemoricError, RetryPolicy
from memoric.errors import InjectedRpcError


class LoseFirstCreateResponse(grpc.UnaryUnaryClientInterceptor):
    """Lets the first CreateMemory reach the server, then loses its response (UNAVAILABLE)."""

    def __init__(self):
        self.keys = []

    def intercept_unary_unary(self, continuation, details, request):
        method = details.method.decode() if isinstance(details.method, bytes) else details.method
        if not method.endswith("/CreateMemory"):
            return continuation(details, request)
        self.keys.append(request.idempotency_key)
        outcome = continuation(details, request)
        outcome.result()
        if len(self.keys) == 1:
            raise InjectedRpcError(grpc.StatusCode.UNAVAILABLE, "injected: response lost after commit")
        return outcome


class CountAttempts(grpc.UnaryUnaryClientInterceptor):
    def __init__(self):
        self.count = 0

    def intercept_unary_unary(self, continuation, details, request):
        self.count += 1
        return continuation(details, request)


def outage(p):
    """One create through a proxy that resets connections until the harness restores it."""
    counter = CountAttempts()
    retry = RetryPolicy(max_attempts=15, initial_backoff=0.2, max_backoff=1.0)
    client = MemoricClient(p["outageUrl"], retry=retry, interceptors=[counter], **p["auth"])
    memory = client.memories.create_memory(content=f"{p['tag']} written during an outage").memory
    print(json.dumps({"attempts": counter.count, "id": memory.id}))


def code_of(fn):
    try:
        fn()
        return "OK"
    except MemoricError as err:
        return err.code_name


def main():
    p = json.load(sys.stdin)
    if p.get("outageUrl"):
        return outage(p)
    tag = p["tag"]
    auth = p["auth"]
    retry = RetryPolicy(initial_backoff=0.05)
    client = MemoricClient(p["baseUrl"], retry=retry, **auth)
    me = client.auth.get_current_user()
    a = client.end_user(f"{tag}-alice")
    b = client.end_user(f"{tag}-bob")
    if p["endUsers"]:
        a.ensure()
        b.ensure()
    a_contents = [f"{tag} alice is allergic to peanuts", f"{tag} alice prefers window seats"]
    a_ids = [a.memories.create_memory(content=c, thread_id="t1").memory.id for c in a_contents]
    b.memories.create_memory(content=f"{tag} bob likes peanuts too", thread_id="t1")

    def search(who):
        results = who.memories.search_memories(query="peanuts", top_k=10).results
        return sorted(r.memory.content for r in results if r.memory.content.startswith(tag))

    def exported(who):
        return sorted(i.memory.content for i in who.memories.export_all() if i.memory.content.startswith(tag))

    report_search = (search(a), search(b))
    report_export = (exported(a), exported(b))
    listed_a = [m.id for m in a.memories.list_all(page_size=1) if m.content.startswith(tag)]
    before = a.memories.get_memory(id=a_ids[0]).memory
    updated = a.memories.update_memory(
        id=a_ids[0], update_mask={"paths": ["content"]}, content=f"{tag} alice: peanuts AND tree nuts"
    ).memory
    a.memories.delete_memory(id=a_ids[1])
    deleted_get = code_of(lambda: a.memories.get_memory(id=a_ids[1]))

    validation = {"code": "OK", "fields": []}
    try:
        a.memories.create_memory(content="")
    except MemoricError as err:
        validation = {"code": err.code_name, "fields": [v.field for v in err.field_violations]}

    expired = MemoricClient(
        p["baseUrl"], token=p["expired"]["token"], refresh_token=p["expired"]["refreshToken"], expires_in=900
    )
    who = expired.auth.get_current_user()

    lost = LoseFirstCreateResponse()
    flaky = MemoricClient(p["baseUrl"], retry=retry, interceptors=[lost], **auth)
    retried = flaky.end_user(f"{tag}-alice").memories.create_memory(content=f"{tag} alice retried", thread_id="t2")
    copies = sum(1 for m in a.memories.list_all(filter={"thread_id": "t2"}) if m.content == f"{tag} alice retried")

    # A delegated token (as a browser would get from its backend) sees only its end user's memories.
    delegated = None
    if p["endUsers"]:
        as_alice = MemoricClient(p["baseUrl"], end_user_token=lambda: a.issue_token().token)
        found = as_alice.memories.search_memories(query="peanuts", top_k=10).results
        other = code_of(lambda: as_alice.memories.create_memory(content=f"{tag} not mine", end_user_id=f"{tag}-bob"))
        delegated = {
            "searchContents": sorted(r.memory.content for r in found if r.memory.content.startswith(tag)),
            "otherEndUser": other,
        }

    print(
        json.dumps(
            {
                "principal": me.principal_type,
                "endUsers": p["endUsers"],
                "searchA": report_search[0],
                "searchB": report_search[1],
                "exportA": report_export[0],
                "exportB": report_export[1],
                "listedA": len(listed_a),
                "update": {
                    "version": updated.version,
                    "previousVersion": before.version,
                    "content": updated.content,
                    "topicKept": updated.topic == before.topic,
                },
                "deletedGet": deleted_get,
                "validation": validation,
                "refresh": {"user": who.user.id == me.user.id, "refreshCount": expired.session.refresh_count},
                "retry": {
                    "attempts": len(lost.keys),
                    "sameKey": len(lost.keys) > 1 and all(k and k == lost.keys[0] for k in lost.keys),
                    "replayed": retried.replayed,
                    "copies": copies,
                },
                "delegated": delegated,
            }
        )
    )


if __name__ == "__main__":
    main()
