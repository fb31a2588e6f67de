/** The web memory browser: one page at /ui over this server's HTTP API (see README, "Web memory browser"). */
import { render } from "preact";
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, setUnauthorizedHandler, storeKey, type OwnerWire } from "./api.js";
import { AddView } from "./add-view.js";
import { BrowseView } from "./browse-view.js";
import { HealthView } from "./health-view.js";
import { SearchView } from "./search-view.js";
import type { OwnerRef } from "./format.js";
import "./style.css";

const VIEWS = [
  { id: "search", label: "Search" },
  { id: "browse", label: "Browse" },
  { id: "add", label: "Add" },
  { id: "health", label: "Health" },
] as const;
type ViewId = (typeof VIEWS)[number]["id"];

function viewFromHash(): ViewId {
  const id = location.hash.replace(/^#\/?/, "");
  return VIEWS.some((view) => view.id === id) ? (id as ViewId) : "search";
}

function App() {
  const [view, setView] = useState<ViewId>(viewFromHash);
  const [owner, setOwner] = useState<OwnerRef | null>(null);
  const [owners, setOwners] = useState<OwnerWire[]>([]);
  const [keyPrompt, setKeyPrompt] = useState<{ reason: string; resolve: () => void } | null>(null);
  const pendingPrompt = useRef<Promise<void> | null>(null);

  useEffect(() => {
    setUnauthorizedHandler((reason) => {
      // Calls refused together wait for the same answer.
      pendingPrompt.current ??= new Promise<void>((resolve) =>
        setKeyPrompt({
          reason,
          resolve: () => {
            pendingPrompt.current = null;
            resolve();
          },
        }),
      );
      return pendingPrompt.current;
    });
    const onHash = () => setView(viewFromHash());
    addEventListener("hashchange", onHash);
    return () => removeEventListener("hashchange", onHash);
  }, []);

  const refreshOwners = useCallback(async () => {
    try {
      const page = await api.owners({ page_size: 100 });
      setOwners(page.owners);
      setOwner((current) => current ?? firstOwner(page.owners));
    } catch {
      // The views show their own errors; the owner list is a convenience.
    }
  }, []);
  useEffect(() => void refreshOwners(), [refreshOwners]);

  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <h1>omnimem</h1>
        <nav aria-label="Views">
          <ul role="list">
            {VIEWS.map((item) => (
              <li key={item.id}>
                <a href={`#/${item.id}`} aria-current={item.id === view ? "page" : undefined}>
                  {item.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <OwnerPicker owner={owner} owners={owners} onChange={setOwner} />
      </header>
      <main id="main" tabIndex={-1}>
        {view === "search" && <SearchView owner={owner} />}
        {view === "browse" && (
          <BrowseView owner={owner} owners={owners} onOwner={setOwner} onRefreshOwners={refreshOwners} />
        )}
        {view === "add" && <AddView owner={owner} onStored={refreshOwners} />}
        {view === "health" && <HealthView />}
      </main>
      {keyPrompt !== null && (
        <KeyDialog
          reason={keyPrompt.reason}
          onSubmit={(key) => {
            storeKey(key);
            const { resolve } = keyPrompt;
            setKeyPrompt(null);
            resolve();
            void refreshOwners();
          }}
        />
      )}
    </>
  );
}

function firstOwner(owners: OwnerWire[]): OwnerRef | null {
  const first = owners[0];
  if (first === undefined) return null;
  return first.user_id !== undefined ? { type: "user", id: first.user_id } : { type: "agent", id: first.agent_id ?? "" };
}

function OwnerPicker(props: { owner: OwnerRef | null; owners: OwnerWire[]; onChange: (owner: OwnerRef | null) => void }) {
  const { owner, owners, onChange } = props;
  const [type, setType] = useState<OwnerRef["type"]>(owner?.type ?? "user");
  const [id, setId] = useState(owner?.id ?? "");
  useEffect(() => {
    if (owner !== null) {
      setType(owner.type);
      setId(owner.id);
    }
  }, [owner]);
  const known = owners.filter((item) => (type === "user" ? item.user_id !== undefined : item.agent_id !== undefined));
  // An id typed while the other type is selected ("alice" with "agent" picked, as the last active
  // owner was an agent) means the owner that exists: an id known only as the other type switches it.
  const pick = (value: string): OwnerRef | null => {
    if (value === "") return null;
    const asUser = owners.some((item) => item.user_id === value);
    const asAgent = owners.some((item) => item.agent_id === value);
    const chosen = type === "agent" && asUser && !asAgent ? "user" : type === "user" && asAgent && !asUser ? "agent" : type;
    if (chosen !== type) setType(chosen);
    return { type: chosen, id: value };
  };
  return (
    <form
      class="owner-picker"
      aria-label="Owner"
      onSubmit={(event) => {
        event.preventDefault();
        onChange(pick(id.trim()));
      }}
    >
      <label>
        <span class="visually-hidden">Owner type</span>
        <select value={type} onChange={(event) => setType(event.currentTarget.value as OwnerRef["type"])}>
          <option value="user">user</option>
          <option value="agent">agent</option>
        </select>
      </label>
      <label>
        <span class="visually-hidden">Owner id</span>
        <input
          name="owner"
          list="known-owners"
          placeholder="owner id"
          autocomplete="off"
          value={id}
          onInput={(event) => setId(event.currentTarget.value)}
          onChange={(event) => onChange(pick(event.currentTarget.value.trim()))}
        />
      </label>
      <datalist id="known-owners">
        {known.map((item) => (
          <option key={item.user_id ?? item.agent_id} value={item.user_id ?? item.agent_id} />
        ))}
      </datalist>
      <button type="submit">Use</button>
    </form>
  );
}

/**
 * The key prompt, as a modal <dialog> (showModal): the rest of the page is inert while it is up,
 * so Tab stays inside it. Escape does not close it: nothing on the page works without a key.
 */
function KeyDialog(props: { reason: string; onSubmit: (key: string) => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const [key, setKey] = useState("");
  useEffect(() => {
    if (dialog.current !== null && !dialog.current.open) dialog.current.showModal();
    input.current?.focus();
  }, [props.reason]);
  return (
    <dialog ref={dialog} aria-labelledby="key-title" aria-describedby="key-reason" class="dialog" onCancel={(event) => event.preventDefault()}>
      <h2 id="key-title">API key</h2>
      <p id="key-reason" role="alert">
        {props.reason}
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (key !== "") props.onSubmit(key);
        }}
      >
        <label>
          Key (kept for this tab only)
          <input ref={input} type="password" name="api-key" autocomplete="off" value={key} onInput={(event) => setKey(event.currentTarget.value)} />
        </label>
        <button type="submit">Use key</button>
      </form>
    </dialog>
  );
}

render(<App />, document.getElementById("app")!);
