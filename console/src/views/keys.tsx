/** API keys: list, create with scopes (the secret is shown once), revoke. */
import { useState } from "preact/hooks";
import type { Session } from "../api.js";
import { Check, Confirm, ErrorNote, Field, fmtTime, Status, TableWrap, toggled, useAction, useLoad } from "../ui.js";

function CreateKey({ session, onCreated }: { session: Session; onCreated: () => void }) {
  const [name, setName] = useState("");
  const [days, setDays] = useState("");
  const [scopes, setScopes] = useState<ReadonlySet<string>>(new Set());
  const [secret, setSecret] = useState("");
  const action = useAction();
  return (
    <form
      id="create-key"
      class="panel"
      aria-label="New API key"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(async () => {
          const ttlDays = Number(days);
          const res = await session.client.auth.createApiKey({
            name,
            scopes: [...scopes],
            ttl: ttlDays > 0 ? { seconds: BigInt(Math.round(ttlDays * 86_400)) } : undefined,
          });
          setSecret(res.key);
          setName("");
          onCreated();
        });
      }}
    >
      <Field id="key-name" label="Name" value={name} onValue={setName} required />
      <Field id="key-days" label="Expires after (days; empty: never)" type="number" value={days} onValue={setDays} />
      <fieldset>
        <legend>Scopes (none ticked: all of yours)</legend>
        {[...session.permissions].sort().map((p) => (
          <Check
            key={p}
            id={`scope-${p.replace(":", "-")}`}
            label={p}
            checked={scopes.has(p)}
            onChecked={(on) => setScopes(toggled(scopes, p, on))}
          />
        ))}
      </fieldset>
      <button type="submit" id="create-key-submit" disabled={action.busy || name.trim() === ""}>
        Create key
      </button>
      <ErrorNote error={action.error} />
      {secret && (
        <div class="wide" role="status">
          <p>The key, shown this once (it is not stored in clear; copy it now):</p>
          <p id="key-secret" class="secret">
            {secret}
          </p>
          <button type="button" class="secondary" onClick={() => setSecret("")}>
            I have copied it — hide
          </button>
        </div>
      )}
    </form>
  );
}

export function KeysView({ session }: { session: Session }) {
  const keys = useLoad(() => session.client.auth.listApiKeys({}), []);
  const revoke = useAction();
  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <CreateKey session={session} onCreated={keys.reload} />
      <ErrorNote error={keys.error ?? revoke.error} />
      {keys.loading && <Status>Loading…</Status>}
      {keys.data && (
        <TableWrap label="API keys">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Prefix</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              {keys.data.apiKeys.map((k) => (
                <tr key={k.id}>
                  <td>{k.name}</td>
                  <td>
                    <code>{k.prefix}…</code>
                  </td>
                  <td>{k.scopes.join(", ")}</td>
                  <td>{fmtTime(k.createdAt)}</td>
                  <td>{k.expiresAt ? fmtTime(k.expiresAt) : "never"}</td>
                  <td>{fmtTime(k.lastUsedAt)}</td>
                  <td>
                    {k.revoked ? (
                      "revoked"
                    ) : (
                      <Confirm
                        label="Revoke"
                        busy={revoke.busy}
                        what={`Key "${k.name}" (${k.prefix}…) stops working at once, for every caller using it.`}
                        onConfirm={() =>
                          void revoke.run(async () => {
                            await session.client.auth.revokeApiKey({ id: k.id });
                            keys.reload();
                          })
                        }
                      />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </section>
  );
}
