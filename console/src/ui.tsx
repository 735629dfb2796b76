/** Small shared pieces: labelled fields, errors and status lines, async loading, confirmations, formatting. */
import { type Timestamp, timestampDate } from "@bufbuild/protobuf/wkt";
import type { ComponentChildren } from "preact";
import { useCallback, useEffect, useState } from "preact/hooks";
import { describeError, noteFailure } from "./api.js";

export function fmtTime(ts: Timestamp | undefined): string {
  if (!ts) return "—";
  return timestampDate(ts)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d+Z$/, "Z");
}

export function enumName(e: Record<number, string>, v: number, prefix: string): string {
  const name = e[v] ?? String(v);
  return name.startsWith(prefix) ? name.slice(prefix.length) : name;
}

interface FieldProps {
  id: string;
  label: string;
  value: string;
  onValue: (v: string) => void;
  type?: "text" | "number" | "password" | "datetime-local";
  placeholder?: string;
  required?: boolean;
  autoComplete?: string;
}

export function Field({ id, label, value, onValue, type = "text", ...rest }: FieldProps) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        name={id}
        // Preact's typings narrow attributes per input type; these fields share one shape.
        type={type as "text"}
        value={value}
        onInput={(e) => onValue(e.currentTarget.value)}
        placeholder={rest.placeholder}
        required={rest.required}
        autoComplete={rest.autoComplete}
      />
    </div>
  );
}

export function TextArea({ id, label, value, onValue, rows = 4 }: FieldProps & { rows?: number }) {
  return (
    <div class="field wide">
      <label for={id}>{label}</label>
      <textarea id={id} name={id} rows={rows} value={value} onInput={(e) => onValue(e.currentTarget.value)} />
    </div>
  );
}

interface SelectProps {
  id: string;
  label: string;
  value: string;
  onValue: (v: string) => void;
  options: readonly (readonly [string, string])[];
}

export function Select({ id, label, value, onValue, options }: SelectProps) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <select id={id} name={id} value={value} onChange={(e) => onValue(e.currentTarget.value)}>
        {options.map(([v, text]) => (
          <option key={v} value={v}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}

export function Check({
  id,
  label,
  checked,
  onChecked,
}: {
  id: string;
  label: string;
  checked: boolean;
  onChecked: (v: boolean) => void;
}) {
  return (
    <div class="check">
      <input id={id} type="checkbox" checked={checked} onChange={(e) => onChecked(e.currentTarget.checked)} />
      <label for={id}>{label}</label>
    </div>
  );
}

/** Options for an enum select: [value, label] pairs with the prefix stripped; 0 (unspecified) labelled `any`. */
export function enumOptions(e: Record<string, string | number>, prefix: string, any: string): [string, string][] {
  return Object.entries(e)
    .filter(([, v]) => typeof v === "number")
    .map(([k, v]) => [String(v), v === 0 ? any : k.toLowerCase().replace(/_/g, " ")] as [string, string])
    .map(([v, k]) => [v, k.startsWith(prefix) ? k.slice(prefix.length) : k] as [string, string]);
}

export function ErrorNote({ error }: { error: unknown }) {
  if (error === undefined || error === null) return null;
  return (
    <p class="error" role="alert">
      {describeError(error)}
    </p>
  );
}

export function Status({ children }: { children: ComponentChildren }) {
  return (
    <p class="status" role="status" aria-live="polite">
      {children}
    </p>
  );
}

/** A region that scrolls sideways on narrow screens, reachable by keyboard. */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to scroll by keyboard
    <section class="table-wrap" aria-label={label} tabIndex={0}>
      {children}
    </section>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` when `deps` change (and on reload()), keeping the last result. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: unknown; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (error: unknown) => {
        noteFailure(error);
        if (live) setState({ error, loading: false });
      },
    );
    return () => {
      live = false;
    };
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, error: state.error, loading: state.loading, reload };
}

/** An action button's state: running, last error, last message. */
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const run = useCallback(async (fn: () => Promise<void>) => {
    setBusy(true);
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      noteFailure(err);
      setError(err);
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}

/** A destructive action in two steps: the button, then a confirmation naming what is destroyed. */
export function Confirm(props: { label: string; what: ComponentChildren; onConfirm: () => void; busy?: boolean }) {
  const [asking, setAsking] = useState(false);
  if (!asking) {
    return (
      <button type="button" class="danger" onClick={() => setAsking(true)} disabled={props.busy}>
        {props.label}
      </button>
    );
  }
  return (
    <div class="confirm" role="alertdialog" aria-label={`Confirm: ${props.label}`}>
      <p>{props.what}</p>
      <button
        type="button"
        class="danger"
        onClick={() => {
          setAsking(false);
          props.onConfirm();
        }}
      >
        Yes, {props.label.toLowerCase()}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </div>
  );
}

/** Saves text as a file through a temporary object URL (no server round trip, no inline script). */
export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The set with `item` added (on) or removed (off), as a new set for state. */
export function toggled<T>(set: ReadonlySet<T>, item: T, on: boolean): ReadonlySet<T> {
  const next = new Set(set);
  if (on) next.add(item);
  else next.delete(item);
  return next;
}

/** Cursor paging: the page tokens visited so far, the last one being the current page's. */
export function usePages() {
  const [pages, setPages] = useState<string[]>([""]);
  return {
    token: pages[pages.length - 1] ?? "",
    number: pages.length,
    reset: () => setPages([""]),
    back: () => setPages(pages.slice(0, -1)),
    forward: (token: string) => setPages([...pages, token]),
  };
}

export function Pager(props: { pages: ReturnType<typeof usePages>; next: string; labels?: [string, string] }) {
  const { pages, next, labels = ["Previous page", "Next page"] } = props;
  return (
    <div class="panel">
      <button type="button" class="secondary" disabled={pages.number < 2} onClick={pages.back}>
        {labels[0]}
      </button>
      <button type="button" class="secondary" disabled={!next} onClick={() => pages.forward(next)}>
        {labels[1]}
      </button>
    </div>
  );
}
