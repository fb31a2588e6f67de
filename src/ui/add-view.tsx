/** Add: drop files or type text into a session; each item shows how it was parsed as it completes; flush the session. */
import { useRef, useState } from "preact/hooks";
import { api, ApiError, describeError, type AddResponse, type FlushResponse, type MemoryEventWire } from "./api.js";
import { ErrorNote, SourceParts } from "./components.js";
import { extensionOf, itemTypeOf, ownerFields, ownerLabel, parserLabel, sourceParts, toBase64, type OwnerRef } from "./format.js";

interface Item {
  key: number;
  label: string;
  state: "sending" | "done" | "refused";
  answer?: AddResponse;
  problem?: string;
}

const ACCEPT = "image/*,audio/*,.pdf,.docx,.doc,.odt,.rtf,.xlsx,.xls,.ods,.csv,.pptx,.ppt,.odp,.epub,.eml,.msg,.html,.htm,.txt,.md";

export function AddView(props: { owner: OwnerRef | null; onStored: () => void }) {
  const { owner } = props;
  const [session, setSession] = useState(() => `ui-${new Date().toISOString().slice(0, 10)}`);
  const [text, setText] = useState("");
  const [sync, setSync] = useState(true);
  const [items, setItems] = useState<Item[]>([]);
  const [dragging, setDragging] = useState(false);
  const [flushed, setFlushed] = useState<FlushResponse | null>(null);
  const [error, setError] = useState<unknown>(null);
  const nextKey = useRef(1);
  const fileInput = useRef<HTMLInputElement>(null);

  const update = (key: number, change: Partial<Item>) => setItems((list) => list.map((item) => (item.key === key ? { ...item, ...change } : item)));

  const send = async (label: string, content: unknown) => {
    if (owner === null) return;
    const key = nextKey.current++;
    setItems((list) => [{ key, label, state: "sending" }, ...list]);
    try {
      const answer = await api.add({
        session_id: session,
        ...ownerFields(owner),
        sync,
        messages: [{ role: "user", timestamp: Date.now(), content }],
      });
      update(key, { state: "done", answer });
      props.onStored();
    } catch (caught) {
      update(key, { state: "refused", problem: describeError(caught) + (caught instanceof ApiError && caught.status === 415 ? " — nothing was stored" : "") });
    }
  };

  const sendFiles = async (files: FileList | File[] | null) => {
    if (files === null) return;
    // One at a time: each shows its result as soon as it is parsed.
    for (const file of Array.from(files)) {
      const base64 = toBase64(new Uint8Array(await file.arrayBuffer()));
      const ext = extensionOf(file.name);
      await send(file.name, [{ type: itemTypeOf(file), base64, name: file.name, ...(ext === "" ? {} : { ext }) }]);
    }
  };

  const disabled = owner === null || session.trim() === "";
  return (
    <section aria-labelledby="add-title" class="view">
      <h2 id="add-title">Add</h2>
      {owner === null ? (
        <p class="muted">Choose an owner (top of the page): what you add becomes their memory.</p>
      ) : (
        <p class="muted">Adding to the memories of {ownerLabel(owner)}.</p>
      )}
      <div class="add-controls">
        <label>
          Session
          <input name="session" value={session} onInput={(event) => setSession(event.currentTarget.value)} required />
        </label>
        <label class="check">
          <input type="checkbox" checked={sync} onChange={(event) => setSync(event.currentTarget.checked)} />
          Extract right away (otherwise buffered until the session is flushed)
        </label>
      </div>
      <form
        class="add-text"
        onSubmit={(event) => {
          event.preventDefault();
          if (text.trim() === "") return;
          void send(text.length > 60 ? `${text.slice(0, 59)}…` : text, text).then(() => setText(""));
        }}
      >
        <label>
          Text
          <textarea name="text" rows={3} value={text} onInput={(event) => setText(event.currentTarget.value)} />
        </label>
        <button type="submit" disabled={disabled}>
          Send text
        </button>
      </form>
      <div
        class={`dropzone${dragging ? " dragging" : ""}`}
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          if (!disabled) void sendFiles(event.dataTransfer?.files ?? null);
        }}
      >
        <p>Drop files here: images, PDFs, audio, office documents, e-mail, HTML.</p>
        <label class="file-button">
          Choose files
          <input
            ref={fileInput}
            type="file"
            name="files"
            multiple
            accept={ACCEPT}
            disabled={disabled}
            onChange={(event) => {
              const files = Array.from(event.currentTarget.files ?? []);
              event.currentTarget.value = "";
              void sendFiles(files);
            }}
          />
        </label>
      </div>
      <div class="actions">
        <button
          type="button"
          disabled={disabled}
          onClick={async () => {
            setError(null);
            try {
              setFlushed(await api.flush({ session_id: session, ...ownerFields(owner!) }));
              props.onStored();
            } catch (caught) {
              setError(caught);
            }
          }}
        >
          Flush session
        </button>
      </div>
      <ErrorNote error={error} />
      {flushed !== null && (
        <div role="status" class="notice">
          Flush: {flushed.status === "extracted" ? `${flushed.memories.length} memories written` : "nothing was waiting in this session"}
          <Memories events={flushed.memories} />
        </div>
      )}
      <ol class="items" aria-label="Added items" aria-live="polite">
        {items.map((item) => (
          <li key={item.key} class={`card item ${item.state}`}>
            <ItemReport item={item} />
          </li>
        ))}
      </ol>
    </section>
  );
}

function ItemReport(props: { item: Item }) {
  const { item } = props;
  const answer = item.answer;
  return (
    <article aria-label={`Item ${item.label}`}>
      <div class="card-head">
        <strong>{item.label}</strong>
        <span class="badge" data-state={item.state}>
          {item.state === "sending" ? "parsing…" : item.state === "refused" ? "refused" : answer?.status}
        </span>
      </div>
      {item.problem !== undefined && (
        <p class="error" role="alert">
          {item.problem}
        </p>
      )}
      {answer !== undefined && (
        <>
          {answer.reason !== undefined && <p class="muted">{answer.reason}</p>}
          {answer.parts.length > 0 && (
            <ul class="parts" aria-label="Parsed parts">
              {answer.parts.map((part) => (
                <li key={`${part.message_index}:${part.item_index}`}>
                  <span class="badge" data-status={part.parse_status}>
                    {part.parse_status}
                  </span>{" "}
                  {part.type} as {part.format} by <strong title={part.parser}>{parserLabel(part)}</strong>, {part.chars} characters, {Math.round(part.duration_ms)} ms
                  {part.cached && " (cached)"}
                  {part.error !== undefined && (
                    <span class="error" role="alert">
                      {" "}
                      — {part.error.code}: {part.error.message}
                    </span>
                  )}
                  {part.warnings?.map((warning) => (
                    <span key={warning} class="muted">
                      {" "}
                      — {warning}
                    </span>
                  ))}
                </li>
              ))}
            </ul>
          )}
          {answer.status === "accumulated" && <p class="muted">Buffered in the session: flush it to extract.</p>}
          {answer.memories !== undefined && <Memories events={answer.memories} />}
        </>
      )}
    </article>
  );
}

function Memories(props: { events: MemoryEventWire[] }) {
  if (props.events.length === 0) return null;
  return (
    <ul class="memories-written" aria-label="Memories written">
      {props.events.map((event) => (
        <li key={`${event.id}:${event.event}`}>
          <span class="badge">
            {event.event} {event.kind}
          </span>
          {sourceParts(event.memory).before !== "" && <pre class="part-text">{sourceParts(event.memory).before}</pre>}
          <SourceParts text={event.memory} open />
        </li>
      ))}
    </ul>
  );
}
