/** Search: a query with method, owner and filters; each hit with its score, kind, facts and source files. */
import { useState } from "preact/hooks";
import { api, type AtomicFactWire, type EpisodeWire, type SearchResponse } from "./api.js";
import { ErrorNote, MemoryDetail, SourceParts } from "./components.js";
import { formatScore, formatTime, ownerFields, ownerLabel, sourceParts, type OwnerRef } from "./format.js";

type Hit = EpisodeWire | AtomicFactWire;

export function SearchView(props: { owner: OwnerRef | null }) {
  const { owner } = props;
  const [query, setQuery] = useState("");
  const [method, setMethod] = useState("hybrid");
  const [session, setSession] = useState("");
  const [from, setFrom] = useState("");
  const [to, setTo] = useState("");
  const [kind, setKind] = useState("");
  const [result, setResult] = useState<SearchResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [open, setOpen] = useState<string | null>(null);

  const run = async () => {
    if (owner === null || query.trim() === "") return;
    setBusy(true);
    setError(null);
    try {
      const filters: Record<string, unknown>[] = [];
      if (kind !== "") filters.push({ kind });
      const range: Record<string, number> = {};
      if (from !== "") range.gte = new Date(`${from}T00:00:00`).getTime();
      if (to !== "") range.lte = new Date(`${to}T23:59:59.999`).getTime();
      if (Object.keys(range).length > 0) filters.push({ timestamp: range });
      const body: Record<string, unknown> = { query: query.trim(), method, ...ownerFields(owner), top_k: 20 };
      if (session.trim() !== "") body.session_id = session.trim();
      if (filters.length === 1) body.filters = filters[0];
      if (filters.length > 1) body.filters = { AND: filters };
      setResult(await api.search(body));
    } catch (caught) {
      setError(caught);
      setResult(null);
    } finally {
      setBusy(false);
    }
  };

  // Episodes carry their matching facts; facts already shown inside an episode are not repeated.
  const hits: Hit[] =
    result === null
      ? []
      : [...result.episodes, ...result.facts.filter((fact) => !result.episodes.some((episode) => episode.id === fact.episode_id))].sort(
          (a, b) => (b.score ?? 0) - (a.score ?? 0),
        );

  return (
    <section aria-labelledby="search-title" class="view">
      <h2 id="search-title">Search</h2>
      <form
        class="search-form"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          void run();
        }}
      >
        <label class="wide">
          Query
          <input type="search" name="query" value={query} onInput={(event) => setQuery(event.currentTarget.value)} required />
        </label>
        <label>
          Method
          <select name="method" value={method} onChange={(event) => setMethod(event.currentTarget.value)}>
            <option value="hybrid">hybrid</option>
            <option value="keyword">keyword</option>
            <option value="vector">vector</option>
            <option value="agentic">agentic</option>
          </select>
        </label>
        <label>
          Kind
          <select name="kind" value={kind} onChange={(event) => setKind(event.currentTarget.value)}>
            <option value="">any</option>
            <option value="episode">episodes</option>
            <option value="fact">facts</option>
          </select>
        </label>
        <label>
          Session
          <input name="session" value={session} onInput={(event) => setSession(event.currentTarget.value)} />
        </label>
        <label>
          From
          <input type="date" name="from" value={from} onInput={(event) => setFrom(event.currentTarget.value)} />
        </label>
        <label>
          To
          <input type="date" name="to" value={to} onInput={(event) => setTo(event.currentTarget.value)} />
        </label>
        <button type="submit" disabled={busy || owner === null}>
          {busy ? "Searching…" : "Search"}
        </button>
      </form>
      {owner === null ? (
        <p class="muted">Choose an owner (top of the page) to search their memories.</p>
      ) : (
        <p class="muted">Searching the memories of {ownerLabel(owner)}.</p>
      )}
      <ErrorNote error={error} />
      {result !== null && (
        <p role="status" aria-live="polite">
          {hits.length === 0 ? "No memories found." : `${hits.length} result${hits.length === 1 ? "" : "s"}`}
        </p>
      )}
      <ol class="results" aria-label="Results">
        {hits.map((hit) => (
          <li key={hit.id} class="card">
            <HitCard hit={hit} onOpen={() => setOpen(hit.id)} />
          </li>
        ))}
      </ol>
      {result !== null && result.unprocessed_messages.length > 0 && (
        <section aria-label="Buffered turns">
          <h3>Not yet extracted in this session</h3>
          <ul>
            {result.unprocessed_messages.map((turn) => (
              <li key={turn.id}>
                <pre class="part-text">{turn.content}</pre>
              </li>
            ))}
          </ul>
        </section>
      )}
      {open !== null && owner !== null && (
        <MemoryDetail
          id={open}
          owner={owner}
          onClose={() => setOpen(null)}
          onChanged={(change) => {
            if (change === "deleted") setResult((current) => (current === null ? current : without(current, open)));
            else void run();
          }}
        />
      )}
    </section>
  );
}

function without(result: SearchResponse, id: string): SearchResponse {
  return {
    ...result,
    episodes: result.episodes.filter((episode) => episode.id !== id),
    facts: result.facts.filter((fact) => fact.id !== id),
  };
}

function HitCard(props: { hit: Hit; onOpen: () => void }) {
  const { hit } = props;
  const text = hit.kind === "episode" ? hit.episode : hit.content;
  const { before, parts } = sourceParts(text);
  const shown = parts.length > 0 ? before : text;
  return (
    <article aria-label={`${hit.kind} result`}>
      <div class="card-head">
        <span class="badge">{hit.kind}</span>
        <span class="score" title="Relevance score">
          score <strong data-testid="score">{formatScore(hit.score)}</strong>
        </span>
        <time dateTime={hit.timestamp}>{formatTime(hit.timestamp)}</time>
        {hit.session_id !== null && <span class="muted">session {hit.session_id}</span>}
      </div>
      {/* Local-mode episodes have no subject of their own: the server uses their first line, shown below anyway. */}
      {hit.kind === "episode" && hit.subject !== "" && !text.startsWith(hit.subject.replace(/…$/, "")) && <h3 class="subject">{hit.subject}</h3>}
      {shown !== "" && <p class="snippet">{clip(shown, 400)}</p>}
      <SourceParts text={text} sources={hit.kind === "episode" ? hit.source_parts : undefined} open />
      {hit.kind === "episode" && (hit.atomic_facts?.length ?? 0) > 0 && (
        <ul class="fact-items" aria-label="Facts of this episode">
          {hit.atomic_facts!.map((fact) => (
            <li key={fact.id}>
              {fact.content} <span class="muted">({formatScore(fact.score)})</span>
            </li>
          ))}
        </ul>
      )}
      <button type="button" onClick={props.onOpen} aria-label={`Open ${hit.kind} ${clip(shown || text, 40)}`}>
        Open
      </button>
    </article>
  );
}

function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}
