/** Admin: the accounts, their roles and activation. */
import { Role, type User } from "@memoric/client";
import { useState } from "preact/hooks";
import type { Session } from "../api.js";
import {
  Check,
  enumName,
  ErrorNote,
  fmtTime,
  Status,
  TableWrap,
  useAction,
  useLoad,
  usePages,
  Pager,
  toggled,
} from "../ui.js";

const ROLES = [Role.ADMIN, Role.USER, Role.READ_ONLY];

function UserRow({ session, user, onChanged }: { session: Session; user: User; onChanged: () => void }) {
  const [roles, setRoles] = useState<ReadonlySet<Role>>(new Set(user.roles));
  const action = useAction();
  const self = user.id === session.user.id;
  const rolesChanged = roles.size !== user.roles.length || user.roles.some((r) => !roles.has(r));
  return (
    <tr>
      <td>
        {user.username}
        {user.serviceAccount && <span class="tag">service account</span>}
      </td>
      <td>{user.email}</td>
      <td>
        <fieldset class="inline">
          <legend class="sr">Roles of {user.username}</legend>
          {ROLES.map((r) => (
            <Check
              key={r}
              id={`role-${user.id}-${r}`}
              label={enumName(Role, r, "").toLowerCase()}
              checked={roles.has(r)}
              onChecked={(on) => setRoles(toggled(roles, r, on))}
            />
          ))}
        </fieldset>
        <button
          type="button"
          class="secondary"
          disabled={!rolesChanged || roles.size === 0 || action.busy}
          onClick={() =>
            void action.run(async () => {
              await session.client.auth.setUserRoles({ userId: user.id, roles: [...roles] });
              onChanged();
            })
          }
        >
          Save roles
        </button>
      </td>
      <td>{user.active ? "active" : "deactivated"}</td>
      <td>{fmtTime(user.lastLoginAt)}</td>
      <td>
        <button
          type="button"
          class={user.active ? "danger" : "secondary"}
          disabled={self || action.busy}
          title={self ? "You cannot deactivate yourself" : undefined}
          onClick={() =>
            void action.run(async () => {
              await session.client.auth.setUserActive({ userId: user.id, active: !user.active });
              onChanged();
            })
          }
        >
          {user.active ? "Deactivate" : "Activate"}
        </button>
        <ErrorNote error={action.error} />
      </td>
    </tr>
  );
}

export function UsersView({ session }: { session: Session }) {
  const pages = usePages();
  const token = pages.token;
  const list = useLoad(() => session.client.auth.listUsers({ pageSize: 50, pageToken: token }), [token]);
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <ErrorNote error={list.error} />
      {list.loading && <Status>Loading…</Status>}
      {list.data && (
        <>
          <Status>{String(list.data.totalSize)} users</Status>
          <TableWrap label="Users">
            <table id="users-table">
              <thead>
                <tr>
                  <th scope="col">Username</th>
                  <th scope="col">Email</th>
                  <th scope="col">Roles</th>
                  <th scope="col">State</th>
                  <th scope="col">Last login</th>
                  <th scope="col">Activation</th>
                </tr>
              </thead>
              <tbody>
                {list.data.users.map((u) => (
                  <UserRow key={`${u.id}-${u.updatedAt?.seconds}`} session={session} user={u} onChanged={list.reload} />
                ))}
              </tbody>
            </table>
          </TableWrap>
          <Pager pages={pages} next={list.data.nextPageToken} />
        </>
      )}
    </section>
  );
}
