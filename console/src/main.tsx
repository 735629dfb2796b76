/**
 * The Memoric console: sign-in, then views chosen by the location hash (#/memories, #/audit, ...).
 * Views a credential cannot use are not offered; the server denies their RPCs regardless.
 */
import "./styles.css";
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { can, type Session, signIn, signOut, whenSessionLost } from "./api.js";
import { ErrorNote, Field, useAction } from "./ui.js";
import { AuditLogView } from "./views/audit.js";
import { AuditOverview } from "./views/audit-overview.js";
import { ContextView } from "./views/context.js";
import { EndUsersView, EndUserView } from "./views/end-users.js";
import { KeysView } from "./views/keys.js";
import { MemoriesView } from "./views/memories.js";
import { MemoryDetail } from "./views/memory-detail.js";
import { SearchView } from "./views/search.js";
import { UsersView } from "./views/users.js";

interface NavItem {
  path: string;
  label: string;
  permission: string;
}

const NAV: readonly NavItem[] = [
  { path: "memories", label: "Memories", permission: "memories:read" },
  { path: "search", label: "Search", permission: "memories:read" },
  { path: "context", label: "Context & export", permission: "memories:read" },
  { path: "keys", label: "API keys", permission: "keys:manage" },
  { path: "end-users", label: "End users", permission: "end_users:read" },
  { path: "audit", label: "Audit log", permission: "audit:read" },
  { path: "audit-overview", label: "Audit overview", permission: "audit:read" },
  { path: "users", label: "Users", permission: "users:manage" },
];

function useRoute(): string[] {
  const read = () =>
    window.location.hash
      .replace(/^#\/?/, "")
      .split("/")
      .filter(Boolean)
      .map((p) => decodeURIComponent(p));
  const [route, setRoute] = useState(read);
  useEffect(() => {
    const on = () => setRoute(read());
    window.addEventListener("hashchange", on);
    return () => window.removeEventListener("hashchange", on);
  }, []);
  return route;
}

function Login({ onSession }: { onSession: (s: Session) => void }) {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const action = useAction();
  return (
    <main id="main" class="login">
      <h1>Memoric console</h1>
      <form
        id="login-form"
        aria-label="Sign in"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => onSession(await signIn(username, password)));
        }}
      >
        <Field
          id="login-username"
          label="Username or email"
          value={username}
          onValue={setUsername}
          required
          autoComplete="username"
        />
        <Field
          id="login-password"
          label="Password"
          type="password"
          value={password}
          onValue={setPassword}
          required
          autoComplete="current-password"
        />
        <button type="submit" disabled={action.busy}>
          Sign in
        </button>
        <ErrorNote error={action.error} />
      </form>
      <p class="hint">Your session lives in this tab's memory only: reloading the page signs you out.</p>
    </main>
  );
}

function View({ session, route }: { session: Session; route: string[] }) {
  const [head = "memories", arg, arg2 = ""] = route;
  const item = NAV.find((n) => n.path === head);
  if (item && !can(session, item.permission)) {
    return <p class="error">This view needs the {item.permission} permission.</p>;
  }
  switch (head) {
    case "memories":
      return arg ? <MemoryDetail session={session} id={arg} endUserId={arg2} /> : <MemoriesView session={session} />;
    case "search":
      return <SearchView session={session} />;
    case "context":
      return <ContextView session={session} />;
    case "keys":
      return <KeysView session={session} />;
    case "end-users":
      return arg ? <EndUserView session={session} endUserId={arg} /> : <EndUsersView session={session} />;
    case "audit":
      return <AuditLogView session={session} />;
    case "audit-overview":
      return <AuditOverview session={session} />;
    case "users":
      return <UsersView session={session} />;
    default:
      return <p class="error">No such view.</p>;
  }
}

function App() {
  const [session, setSession] = useState<Session | undefined>(undefined);
  const route = useRoute();
  useEffect(() => whenSessionLost(() => setSession(undefined)), []);
  if (!session) return <Login onSession={setSession} />;
  const head = route[0] ?? "memories";
  return (
    <div class="shell">
      <button type="button" class="skip" onClick={() => document.getElementById("main")?.focus()}>
        Skip to content
      </button>
      <header>
        <span class="brand">Memoric</span>
        <nav aria-label="Views">
          <ul>
            {NAV.filter((n) => can(session, n.permission)).map((n) => (
              <li key={n.path}>
                <a id={`nav-${n.path}`} href={`#/${n.path}`} aria-current={n.path === head ? "page" : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="who">
          {session.user.username}
          <button
            type="button"
            id="sign-out"
            onClick={() => {
              void signOut(session).finally(() => setSession(undefined));
            }}
          >
            Sign out
          </button>
        </span>
      </header>
      <main id="main" tabIndex={-1}>
        <View session={session} route={route} />
      </main>
    </div>
  );
}

render(<App />, document.getElementById("app")!);
