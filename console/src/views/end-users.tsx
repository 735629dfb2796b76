/** End users of the account: the list with memory counts, one end user's memories, delegated tokens, erasure. */
import type { DeleteEndUserResponse, IssueEndUserTokenResponse } from "@memoric/client";
import { useState } from "preact/hooks";
import { can, type Session } from "../api.js";
import {
  Check,
  Confirm,
  ErrorNote,
  Field,
  fmtTime,
  Status,
  TableWrap,
  useAction,
  useLoad,
  usePages,
  Pager,
  toggled,
} from "../ui.js";
import { MemoriesView } from "./memories.js";

const DELEGABLE = ["memories:read", "memories:write", "memories:delete", "clusters:read", "clusters:write"];

function endUserHref(id: string): string {
  return `#/end-users/${encodeURIComponent(id)}`;
}

export function EndUsersView({ session }: { session: Session }) {
  const pages = usePages();
  const token = pages.token;
  const list = useLoad(() => session.client.endUsers.listEndUsers({ pageSize: 50, pageToken: token }), [token]);
  return (
    <section aria-labelledby="eu-title">
      <h1 id="eu-title">End users</h1>
      <ErrorNote error={list.error} />
      {list.loading && <Status>Loading…</Status>}
      {list.data && (
        <>
          <TableWrap label="End users">
            <table>
              <thead>
                <tr>
                  <th scope="col">End user id</th>
                  <th scope="col">Memories</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {list.data.endUsers.map((u) => (
                  <tr key={u.id}>
                    <td>
                      <a href={endUserHref(u.endUserId)}>{u.endUserId}</a>
                    </td>
                    <td>{String(u.memoryCount)}</td>
                    <td>{fmtTime(u.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
          {list.data.endUsers.length === 0 && <Status>No end users yet.</Status>}
          <Pager pages={pages} next={list.data.nextPageToken} />
        </>
      )}
    </section>
  );
}

function IssueToken({ session, endUserId }: { session: Session; endUserId: string }) {
  const [perms, setPerms] = useState<ReadonlySet<string>>(new Set(["memories:read", "memories:write"]));
  const [threadId, setThreadId] = useState("");
  const [minutes, setMinutes] = useState("15");
  const [issued, setIssued] = useState<IssueEndUserTokenResponse | undefined>(undefined);
  const action = useAction();
  return (
    <form
      id="issue-token"
      class="panel"
      aria-label="Issue a delegated token"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(async () => {
          const ttl = Math.round((Number(minutes) || 15) * 60);
          setIssued(
            await session.client.endUsers.issueEndUserToken({
              endUserId,
              permissions: [...perms],
              threadId,
              ttl: { seconds: BigInt(ttl) },
            }),
          );
        });
      }}
    >
      <fieldset>
        <legend>Permissions</legend>
        {DELEGABLE.map((p) => (
          <Check
            key={p}
            id={`tok-${p.replace(":", "-")}`}
            label={p}
            checked={perms.has(p)}
            onChecked={(on) => setPerms(toggled(perms, p, on))}
          />
        ))}
      </fieldset>
      <Field id="tok-thread" label="Pin to thread (optional)" value={threadId} onValue={setThreadId} />
      <Field
        id="tok-minutes"
        label="Lifetime in minutes (at most 60)"
        type="number"
        value={minutes}
        onValue={setMinutes}
      />
      <button type="submit" disabled={action.busy}>
        Issue token
      </button>
      <ErrorNote error={action.error} />
      {issued && (
        <div class="wide" role="status">
          <p>
            Token for testing, valid until {fmtTime(issued.expiresAt)} ({issued.permissions.join(", ")}); shown once:
          </p>
          <p class="secret">{issued.token}</p>
          <button type="button" class="secondary" onClick={() => setIssued(undefined)}>
            Hide
          </button>
        </div>
      )}
    </form>
  );
}

function Erase({ session, endUserId }: { session: Session; endUserId: string }) {
  const user = useLoad(() => session.client.endUsers.getEndUser({ endUserId }), [endUserId]);
  const [done, setDone] = useState<DeleteEndUserResponse | undefined>(undefined);
  const action = useAction();
  if (done) {
    return (
      <p class="ok" role="status">
        Erased: {String(done.memoriesDeleted)} memories, {String(done.versionsDeleted)} versions,{" "}
        {String(done.clustersDeleted)} clusters; data key {done.keyDestroyed ? "destroyed" : "absent"}.
      </p>
    );
  }
  const count = user.data?.endUser ? String(user.data.endUser.memoryCount) : "all";
  const what =
    `This erases end user "${endUserId}" for good: their data key is destroyed, then their ${count} memories, ` +
    "every earlier version, their search index and clusters are deleted, and their delegated tokens stop " +
    "working. It cannot be undone.";
  return (
    <>
      <ErrorNote error={user.error ?? action.error} />
      <Confirm
        label="Erase end user"
        busy={action.busy}
        what={what}
        onConfirm={() =>
          void action.run(async () => setDone(await session.client.endUsers.deleteEndUser({ endUserId })))
        }
      />
    </>
  );
}

export function EndUserView({ session, endUserId }: { session: Session; endUserId: string }) {
  return (
    <>
      <p>
        <a href="#/end-users">← All end users</a>
      </p>
      <MemoriesView session={session} endUserId={endUserId} />
      {can(session, "end_users:delegate") && (
        <>
          <h2>Delegated token</h2>
          <IssueToken session={session} endUserId={endUserId} />
        </>
      )}
      {can(session, "end_users:manage") && (
        <>
          <h2>Erasure</h2>
          <Erase session={session} endUserId={endUserId} />
        </>
      )}
    </>
  );
}
