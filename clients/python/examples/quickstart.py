"""Ten lines: save a memory for one of your users and find it again.

    MEMORIC_URL=http://localhost:8080 MEMORIC_API_KEY=mk_... python3 examples/quickstart.py
"""

import os

from memoric import MemoricClient

with MemoricClient(os.environ.get("MEMORIC_URL", "http://localhost:8080"), api_key=os.environ["MEMORIC_API_KEY"]) as client:
    alice = client.end_user("user-123")
    alice.memories.create_memory(content="The user is allergic to peanuts", thread_id="chat-1")
    for hit in alice.memories.search_memories(query="peanuts", top_k=3).results:
        print(f"{hit.score:.2f} {hit.memory.content}")
