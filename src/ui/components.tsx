/** Pieces the views share: an error line, a memory's source files, and a memory's full view with edit, delete and history. */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, describeError, type AtomicFactWire, type EpisodeWire, type HistoryEntry, type MemoryWire, type SourcePartWire } from "./api.js";
import { historyChangeTime } from "../spec/types.js";
import { formatTime, memoryText, ownerFields, parserLabel, sourceFiles, sourceParts, type OwnerRef, type SourceFile } from "./format.js";

export function ErrorNote(props: { error: unknown }) {
  if (props.error === null || props.error === undefined) return null;
  return (
    <p class="error" role="alert">
      {describeError(props.error)}
    </p>
  );
}

/** The files a memory's text came from: name, what the server found it to be, which parser read it, and its text. */
export function SourceParts(props: { text: string; sources?: SourcePartWire[] | undefined; open?: boolean }) {
  const files = sourceFiles(props.text, props.sources);
  if (files.length === 0) return null;
  return (
    <ul class="sources" aria-label="Source files">
      {files.map((file, index) => (
        <li key={index}>
          {file.text === undefined ? (
            <SourceFileHead file={file} />
          ) : (
            <details open={props.open}>
              <summary>
                <SourceFileHead file={file} />
              </summary>
              <pre class="part-text">{file.text}</pre>
            </details>
          )}
        </li>
      ))}
    </ul>
  );
}

/** "image receipt.png · OCR (tesseract.js)": the parser's id and the file's size in the tooltip. */
function SourceFileHead(props: { file: SourceFile }) {
  const { file } = props;
  return (
    <>
      <span class="badge">{file.modality}</span> <span class="source-name">{file.name ?? "(unnamed)"}</span>
      {file.source !== undefined && (
        <>
          {" · "}
          <span class="parser" title={`${file.source.parser}${file.source.model === undefined ? "" : ` with ${file.source.model}`}, ${file.source.format}, ${file.source.bytes} bytes`}>
            {parserLabel(file.source)}
          </span>
        </>
      )}
      {file.sentAs !== undefined && <span class="muted"> sent as {file.sentAs}</span>}
    </>
  );
}

/**
 * One memory as stored: its text, facts and source files; edit (text, metadata), delete after a
 * confirmation, and its history as old -> new.
 */
export function MemoryDetail(props: { id: string; owner: OwnerRef; onClose: () => void; onChanged: (change: "updated" | "deleted") => void }) {
  const { id, owner } = props;
  const [memory, setMemory] = useState<MemoryWire | null>(null);
  const [facts, setFacts] = useState<AtomicFactWire[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [history, setHistory] = useState<HistoryEntry[] | null>(null);
  const [notice, setNotice] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  // Focus goes back where it came from when the memory closes (or is deleted): to the item that
  // opened it, or, when that item is gone (it was deleted), to the view's heading, never <body>.
  const deleted = useRef(false);
  useEffect(() => {
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const view = opener?.closest("section.view")?.querySelector<HTMLElement>("h2") ?? null;
    return () => {
      const target = !deleted.current && opener?.isConnected ? opener : view;
      if (target === null) return;
      // A heading takes the focus only with a tabindex.
      if (target === view && !target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.focus();
      // Once more after the view re-rendered, should that have dropped the focus again.
      requestAnimationFrame(() => {
        if (document.activeElement === document.body && target.isConnected) target.focus();
      });
    };
  }, [id]);
  // The confirmation takes the focus once, when it appears.
  useEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  const load = async () => {
    setError(null);
    try {
      const found = await api.get({ memory_id: id, ...ownerFields(owner) });
      const item: MemoryWire | undefined = found.episodes[0] ?? found.facts[0];
      setMemory(item ?? null);
      if (item?.kind === "episode" && item.session_id !== null) {
        // Facts have no episode filter: read the session's facts and keep this episode's.
        const sessionFacts = await api.get({ ...ownerFields(owner), memory_type: "fact", page_size: 100, filters: { session_id: item.session_id } });
        setFacts(sessionFacts.facts.filter((fact) => fact.episode_id === item.id));
      } else setFacts([]);
    } catch (caught) {
      setError(caught);
    }
  };
  useEffect(() => {
    setHistory(null);
    setEditing(false);
    setConfirming(false);
    setNotice("");
    void load().then(() => heading.current?.focus());
  }, [id, owner.type, owner.id]);

  const showHistory = async () => {
    try {
      setHistory((await api.history({ memory_id: id, ...ownerFields(owner) })).history);
    } catch (caught) {
      setError(caught);
    }
  };

  return (
    <section class="detail" aria-labelledby="detail-title">
      <div class="detail-head">
        <h2 id="detail-title" tabIndex={-1} ref={heading}>
          {memory === null ? "Memory" : memory.kind === "episode" ? memory.subject || "Episode" : "Fact"}
        </h2>
        <button type="button" onClick={props.onClose} aria-label="Close memory">
          Close
        </button>
      </div>
      <ErrorNote error={error} />
      {notice !== "" && (
        <p role="status" class="notice">
          {notice}
        </p>
      )}
      {memory !== null && (
        <>
          <dl class="facts-list">
            <dt>Kind</dt>
            <dd>{memory.kind}</dd>
            <dt>When</dt>
            <dd>{formatTime(memory.timestamp)}</dd>
            <dt>Session</dt>
            <dd>{memory.session_id ?? "none"}</dd>
            <dt>Id</dt>
            <dd class="mono">{memory.id}</dd>
            {Object.keys(memory.metadata).length > 0 && (
              <>
                <dt>Metadata</dt>
                <dd class="mono">{JSON.stringify(memory.metadata)}</dd>
              </>
            )}
          </dl>
          {editing ? (
            <EditForm
              memory={memory}
              onCancel={() => setEditing(false)}
              onSave={async (change) => {
                try {
                  const updated = await api.update({ memory_id: id, ...ownerFields(owner), ...change });
                  setMemory(updated);
                  setEditing(false);
                  setNotice("Saved.");
                  props.onChanged("updated");
                  if (history !== null) await showHistory();
                } catch (caught) {
                  setError(caught);
                }
              }}
            />
          ) : (
            <>
              <pre class="memory-text" aria-label="Full text">
                {sourceParts(memoryText(memory)).parts.length > 0 ? sourceParts(memoryText(memory)).before || "(files only)" : memoryText(memory)}
              </pre>
              <SourceParts text={memoryText(memory)} sources={memory.kind === "episode" ? memory.source_parts : undefined} open />
            </>
          )}
          {memory.kind === "episode" && facts.length > 0 && (
            <>
              <h3>Facts from this episode</h3>
              <ul class="fact-items">
                {facts.map((fact) => (
                  <li key={fact.id}>{fact.content}</li>
                ))}
              </ul>
            </>
          )}
          {memory.kind === "episode" && (memory as EpisodeWire).summary !== "" && (memory as EpisodeWire).summary !== memoryText(memory) && (
            <p class="muted">Summary: {(memory as EpisodeWire).summary}</p>
          )}
          <div class="actions">
            {!editing && (
              <button type="button" onClick={() => setEditing(true)}>
                Edit
              </button>
            )}
            <button type="button" onClick={() => void showHistory()} aria-expanded={history !== null}>
              History
            </button>
            {!confirming ? (
              <button type="button" class="danger" onClick={() => setConfirming(true)}>
                Delete
              </button>
            ) : (
              <span role="group" aria-label="Confirm delete" class="confirm">
                <span>Delete this memory for good?</span>
                <button
                  type="button"
                  class="danger"
                  ref={confirmButton}
                  onClick={async () => {
                    try {
                      await api.delete({ memory_id: id, ...ownerFields(owner) });
                      deleted.current = true;
                      props.onChanged("deleted");
                      props.onClose();
                    } catch (caught) {
                      setError(caught);
                    }
                  }}
                >
                  Yes, delete
                </button>
                <button type="button" onClick={() => setConfirming(false)}>
                  Cancel
                </button>
              </span>
            )}
          </div>
          {history !== null && <HistoryList entries={history} />}
        </>
      )}
    </section>
  );
}

function EditForm(props: { memory: MemoryWire; onCancel: () => void; onSave: (change: { text?: string; metadata?: Record<string, unknown> }) => Promise<void> }) {
  const original = memoryText(props.memory);
  const [text, setText] = useState(original);
  const [metadata, setMetadata] = useState(JSON.stringify(props.memory.metadata, null, 2));
  const [problem, setProblem] = useState("");
  return (
    <form
      class="edit"
      aria-label="Edit memory"
      onSubmit={(event) => {
        event.preventDefault();
        let parsed: unknown;
        try {
          parsed = JSON.parse(metadata === "" ? "{}" : metadata);
        } catch (caught) {
          setProblem(`Metadata is not JSON: ${describeError(caught)}`);
          return;
        }
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
          setProblem("Metadata must be a JSON object of flat values.");
          return;
        }
        setProblem("");
        const change: { text?: string; metadata?: Record<string, unknown> } = {};
        if (text !== original) change.text = text;
        if (JSON.stringify(parsed) !== JSON.stringify(props.memory.metadata)) change.metadata = parsed as Record<string, unknown>;
        if (change.text === undefined && change.metadata === undefined) {
          props.onCancel();
          return;
        }
        void props.onSave(change);
      }}
    >
      <label>
        Text
        <textarea name="text" rows={8} value={text} onInput={(event) => setText(event.currentTarget.value)} />
      </label>
      <label>
        Metadata (JSON object)
        <textarea name="metadata" rows={4} class="mono" value={metadata} onInput={(event) => setMetadata(event.currentTarget.value)} />
      </label>
      {problem !== "" && (
        <p class="error" role="alert">
          {problem}
        </p>
      )}
      <div class="actions">
        <button type="submit">Save</button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function HistoryList(props: { entries: HistoryEntry[] }) {
  return (
    <section aria-label="History">
      <h3>History</h3>
      <ol class="history">
        {props.entries.map((entry) => (
          <li key={entry.id}>
            <span class="badge">{entry.action}</span> <time dateTime={historyChangeTime(entry)}>{formatTime(historyChangeTime(entry))}</time>
            <div class="change">
              <span class="old" aria-label="Old value">
                {entry.previous_value ?? "(none)"}
              </span>
              <span aria-hidden="true"> → </span>
              <span class="visually-hidden"> changed to </span>
              <span class="new" aria-label="New value">
                {entry.new_value ?? "(deleted)"}
              </span>
            </div>
          </li>
        ))}
      </ol>
    </section>
  );
}
