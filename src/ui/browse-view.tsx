/** Browse: the owners, and per owner a timeline of episodes and facts by day and session, one server page at a time. */
import { useEffect, useState } from "preact/hooks";
import { api, type GetResponse, type MemoryWire, type OwnerWire } from "./api.js";
import { ErrorNote, MemoryDetail } from "./components.js";
import { dayOf, formatTime, memoryText, ownerFields, ownerLabel, sourceFiles, sourceParts, type OwnerRef } from "./format.js";

const PAGE_SIZE = 20;

export function BrowseView(props: { owner: OwnerRef | null; owners: OwnerWire[]; onOwner: (owner: OwnerRef) => void; onRefreshOwners: () => Promise<void> }) {
  const { owner } = props;
  const [page, setPage] = useState(1);
  const [kind, setKind] = useState("");
  // The answer on screen with the page it answers: until the next page arrives, the pager
  // names the page whose memories are shown, not the one asked for.
  const [loaded, setLoaded] = useState<{ page: number; answer: GetResponse } | null>(null);
  const data = loaded?.answer ?? null;
  const shownPage = loaded?.page ?? page;
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState<string | null>(null);
  const [reload, setReload] = useState(0);

  useEffect(() => setPage(1), [owner?.type, owner?.id, kind]);
  useEffect(() => {
    if (owner === null) return;
    let current = true;
    setError(null);
    const body: Record<string, unknown> = { ...ownerFields(owner), page, page_size: PAGE_SIZE, sort_by: "timestamp", sort_order: "desc" };
    if (kind !== "") body.memory_type = kind;
    api.get(body).then(
      (answer) => current && setLoaded({ page, answer }),
      (caught: unknown) => current && setError(caught),
    );
    return () => {
      current = false;
    };
  }, [owner?.type, owner?.id, page, kind, reload]);

  const items: MemoryWire[] = data === null ? [] : [...data.episodes, ...data.facts].sort((a, b) => b.timestamp.localeCompare(a.timestamp) || a.kind.localeCompare(b.kind));
  const pages = data === null ? 1 : Math.max(1, Math.ceil(data.total_count / PAGE_SIZE));
  // Deleting the last memories of the last page leaves it past the end: show the new last page.
  useEffect(() => {
    if (data !== null && shownPage > pages) setPage(pages);
  }, [data, shownPage, pages]);

  return (
    <section aria-labelledby="browse-title" class="view browse">
      <h2 id="browse-title">Browse</h2>
      <div class="browse-grid">
        <nav aria-label="Owners" class="owners">
          <h3>Owners</h3>
          {props.owners.length === 0 ? (
            <p class="muted">No memories stored yet.</p>
          ) : (
            <ul role="list">
              {props.owners.map((item) => {
                const ref: OwnerRef = item.user_id !== undefined ? { type: "user", id: item.user_id } : { type: "agent", id: item.agent_id ?? "" };
                const selected = owner !== null && owner.type === ref.type && owner.id === ref.id;
                return (
                  <li key={`${ref.type}:${ref.id}`}>
                    <button type="button" aria-pressed={selected} onClick={() => props.onOwner(ref)}>
                      {ownerLabel(ref)} <span class="muted">({item.memory_count})</span>
                    </button>
                  </li>
                );
              })}
            </ul>
          )}
        </nav>
        <div class="timeline-pane">
          {owner === null ? (
            <p class="muted">Choose an owner.</p>
          ) : (
            <>
              <div class="timeline-head">
                <h3>Timeline of {ownerLabel(owner)}</h3>
                <label>
                  Show
                  <select value={kind} onChange={(event) => setKind(event.currentTarget.value)}>
                    <option value="">episodes and facts</option>
                    <option value="episode">episodes</option>
                    <option value="fact">facts</option>
                  </select>
                </label>
              </div>
              <ErrorNote error={error} />
              {data !== null && <Timeline items={items} onOpen={setOpen} />}
              {data !== null && (
                <div class="pager" role="group" aria-label="Pages">
                  <button type="button" disabled={shownPage <= 1} onClick={() => setPage(shownPage - 1)}>
                    Newer
                  </button>
                  <span role="status">
                    Page {shownPage} of {pages} ({data.total_count} memories)
                  </span>
                  <button type="button" disabled={shownPage >= pages} onClick={() => setPage(shownPage + 1)}>
                    Older
                  </button>
                </div>
              )}
            </>
          )}
        </div>
      </div>
      {open !== null && owner !== null && (
        <MemoryDetail
          id={open}
          owner={owner}
          onClose={() => setOpen(null)}
          onChanged={() => {
            setReload((n) => n + 1);
            void props.onRefreshOwners();
          }}
        />
      )}
    </section>
  );
}

/** Days newest first; within a day, each session's memories together. */
function Timeline(props: { items: MemoryWire[]; onOpen: (id: string) => void }) {
  if (props.items.length === 0) return <p class="muted">Nothing on this page.</p>;
  const days = new Map<string, Map<string, MemoryWire[]>>();
  for (const item of props.items) {
    const day = dayOf(item.timestamp);
    const sessions = days.get(day) ?? new Map<string, MemoryWire[]>();
    days.set(day, sessions);
    const session = item.session_id ?? "(no session)";
    sessions.set(session, [...(sessions.get(session) ?? []), item]);
  }
  return (
    <ol class="timeline" aria-label="Timeline">
      {[...days].map(([day, sessions]) => (
        <li key={day}>
          <h4 class="day">{day}</h4>
          {[...sessions].map(([session, memories]) => (
            <section key={session} class="session" aria-label={`Session ${session} on ${day}`}>
              <h5>Session {session}</h5>
              <ul role="list" class="memories">
                {memories.map((memory) => {
                  const text = memoryText(memory);
                  const { before, parts } = sourceParts(text);
                  // An extracted episode names its files only in source_parts: list those too.
                  const files = sourceFiles(text, memory.kind === "episode" ? memory.source_parts : undefined);
                  const line = (parts.length > 0 ? before || parts[0]!.text : text).split("\n")[0] ?? "";
                  return (
                    <li key={memory.id} class={`memory ${memory.kind}`}>
                      <span class="badge">{memory.kind}</span> <time dateTime={memory.timestamp}>{formatTime(memory.timestamp).slice(11)}</time>{" "}
                      <button type="button" class="link" onClick={() => props.onOpen(memory.id)}>
                        {line.length > 120 ? `${line.slice(0, 119)}…` : line || "(empty)"}
                      </button>
                      {files.length > 0 && <span class="muted"> · {files.map((file) => file.name ?? file.modality).join(", ")}</span>}
                    </li>
                  );
                })}
              </ul>
            </section>
          ))}
        </li>
      ))}
    </ol>
  );
}
