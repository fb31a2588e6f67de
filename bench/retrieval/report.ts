/**
 * The markdown report and its charts, from one run's results (and optionally a earlier run's,
 * for a before → after table). Pure functions of the JSON, so a report can be rebuilt from
 * bench/reports/retrieval.json without rerunning anything.
 */
import { metricNames } from "./metrics.js";
import { PUBLISHED } from "./published.js";
import { LOCOMO_KS, LONGMEMEVAL_KS, type LongMemEvalResult, type LocomoResult, type RetrievalRun } from "./results.js";
import { categoryName } from "./run-locomo.js";
import { groupedBarChartSvg } from "./svg-chart.js";
import { CANDIDATE_POOL } from "../../src/search/search-engine.js";

export interface ChartFiles {
  longmemeval?: string;
  locomo?: string;
}

function fixed(value: number | undefined, digits = 3): string {
  return value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits);
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/** Text for a table cell: one line, no pipes. */
function cell(text: string, maxChars = 160): string {
  const flat = text.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();
  return flat.length > maxChars ? `${flat.slice(0, maxChars - 1)}…` : flat;
}

export function renderCharts(run: RetrievalRun): { longmemeval?: string; locomo?: string } {
  const charts: { longmemeval?: string; locomo?: string } = {};
  const lme = run.longmemeval;
  if (lme !== undefined) {
    const methods = Object.keys(lme.methods);
    charts.longmemeval = groupedBarChartSvg({
      title: "LongMemEval: session-level retrieval",
      subtitle: `${lme.answerable} answerable questions of ${lme.path.split("/").pop()}; dashed: published Recall@5 (other data and retrievers)`,
      groups: methods,
      series: ["recall_any@5", "recall_all@5", "ndcg_any@10"].map((name) => ({ name: `session ${name}`, values: methods.map((method) => lme.methods[method]!.session[name]!) })),
      referenceLines: PUBLISHED.map((figure) => ({ label: figure.chartLabel, value: figure.recallAt5 })),
    });
  }
  const locomo = run.locomo;
  if (locomo !== undefined) {
    const methods = Object.keys(locomo.methods);
    charts.locomo = groupedBarChartSvg({
      title: "LoCoMo: share of evidence turns retrieved",
      subtitle: `${plural(locomo.questions, "question")} over ${plural(locomo.conversations, "conversation")} of ${locomo.path.split("/").pop()}`,
      groups: methods,
      series: LOCOMO_KS.map((k) => ({ name: `recall@${k}`, values: methods.map((method) => locomo.methods[method]!.overall[`recall@${k}`]!) })),
    });
  }
  return charts;
}

export function renderMarkdown(run: RetrievalRun, charts: ChartFiles, before?: RetrievalRun): string {
  const out: string[] = [];
  out.push("# Retrieval quality: LongMemEval and LoCoMo", "");
  out.push(
    `Run ${run.date}${run.label === undefined ? "" : ` (label "${run.label}")`} on ${run.machine.cpuModel}, ${run.machine.cpus} cores, ${run.machine.memoryGiB} GiB, Node ${run.machine.node} (${run.machine.platform}); ${run.wallSeconds.toFixed(0)} s wall in all.`,
    "",
    "```sh",
    run.command,
    "```",
    "",
    setupParagraph(run),
    "",
  );
  out.push(...headlines(run));
  if (run.longmemeval !== undefined) out.push(...longMemEvalSection(run.longmemeval, charts.longmemeval));
  if (run.locomo !== undefined) out.push(...locomoSection(run.locomo, charts.locomo));
  out.push(...timingSection(run));
  if (before !== undefined) out.push(...comparisonSection(before, run));
  out.push(...reproduceSection());
  return `${out.join("\n")}\n`;
}

/** What was measured, from the run's recorded setup (older runs did not record one). */
function setupParagraph(run: RetrievalRun): string {
  const setup = run.setup;
  const embedder =
    setup === undefined
      ? "the local embedder of the time (not recorded by this run)"
      : setup.embedder.name === "hashed"
        ? `the local hashed n-gram embedder (\`${setup.embedder.model}\`, ${setup.embedder.dimensions} dimensions, no model)`
        : setup.embedder.name === "word-vectors"
          ? `the local word-vector embedder (\`${setup.embedder.model}\`, ${setup.embedder.dimensions} dimensions: static word vectors, SIF-weighted, ${setup.embedder.model.includes("+wordnet") ? "WordNet hypernyms mixed into rare nouns, " : ""}offline)`
          : `the embedding model \`${setup.embedder.model}\` (${setup.embedder.dimensions} dimensions, ${setup.embedder.name})`;
  const fusion =
    setup === undefined
      ? "hybrid = weighted reciprocal-rank fusion"
      : (setup.search.fusion === "score"
          ? `hybrid = score fusion over each ranking's top ${CANDIDATE_POOL} whatever the limit (\`search.fusion = "score"\`: BM25 scores divided by the best BM25 score, cosines scaled from the pool's last to a perfect match (1), summed with the vector side weighted ${setup.search.vectorWeight} against keyword's 1, \`search.vector_weight\`)`
          : `hybrid = reciprocal-rank fusion (k = ${setup.search.rrfK}) with the vector ranking weighted ${setup.search.vectorWeight} against keyword's 1 (\`search.vector_weight\`)`) +
        (setup.search.timeWeight > 0
          ? ` and, when the question names dates, the two rankings restricted to them weighted ${setup.search.timeWeight} (\`search.time_weight\`; each question's own date is the search's \`now\`)`
          : ", time-aware search off");
  const vectorQuery =
    setup?.search.vectorQuery === "without names"
      ? "; the vector side embeds the question without its proper names (capitalised words inside a sentence: a name carries no meaning a static word vector can match, and keyword search matches it, senders included; src/search/vector-query.ts)"
      : "";
  return (
    `omnimem's embedded configuration throughout: \`Memory.open\` on a fresh root, LanceDB (BM25 full-text index over each memory's text, its sender's name and, for a verbatim turn, the previous turn of its session; an exact vector scan at these sizes; an owner searched more than once is then ranked from memory with the same terms, statistics and scores, src/store/embedded/scope-terms.ts), ${embedder}, ${fusion}${vectorQuery}. ` +
    "Turns are stored with `add(..., { infer: false })`: verbatim, one memory per turn, no LLM, offline. Runs repeat exactly: LanceDB's own order of hits with equal scores changes between processes, so omnimem's index returns them in memory-id order (ids are derived from the data here, see ingest.ts)."
  );
}

/** How many questions each LongMemEval type has in this run, in words, and what one question weighs. */
function sampleSize(lme: LongMemEvalResult): string {
  const methods = Object.values(lme.methods);
  const counts = methods.length === 0 ? [] : Object.values(methods[0]!.byType).map((entry) => entry.questions);
  if (counts.length === 0) return `${lme.questions} questions`;
  const low = Math.min(...counts);
  const high = Math.max(...counts);
  const perType = low === high ? `${low} questions per type` : `${low} to ${high} questions per type`;
  const share = (n: number) => (n > 0 ? (1 / n).toFixed(n >= 10 ? 2 : 1) : "–");
  return `${lme.questions} questions, ${perType} over ${counts.length} types, so one question moves a per-type number by ${low === high ? share(low) : `${share(high)} to ${share(low)}`} and the overall number by about ${share(lme.answerable)}`;
}

/** The few numbers to read first, worked out from the results (so they stay true on a rerun). */
function headlines(run: RetrievalRun): string[] {
  const lines: string[] = [];
  const lme = run.longmemeval;
  if (lme !== undefined) {
    const methods = Object.keys(lme.methods);
    const list = (pick: (method: string) => number | undefined) => methods.map((method) => `${method} ${fixed(pick(method))}`).join(", ");
    lines.push(`- LongMemEval, ${lme.answerable} answerable questions, session recall_any@5 / recall_all@5 / ndcg_any@10: ${methods.map((method) => `${method} ${fixed(lme.methods[method]!.session["recall_any@5"])} / ${fixed(lme.methods[method]!.session["recall_all@5"])} / ${fixed(lme.methods[method]!.session["ndcg_any@10"])}`).join("; ")}.`);
    lines.push(`- LongMemEval turn recall_any@10: ${list((method) => lme.methods[method]!.turn["recall_any@10"])}; turn recall_all@10: ${list((method) => lme.methods[method]!.turn["recall_all@10"])}.`);
    const weakest = methods.map((method) => {
      const types = Object.entries(lme.methods[method]!.byType).filter(([, entry]) => entry.answerable > 0);
      const [type, entry] = types.reduce((low, next) => (next[1].session["recall_any@5"]! < low[1].session["recall_any@5"]! ? next : low));
      return `${method}: ${type} (${fixed(entry.session["recall_any@5"])})`;
    });
    lines.push(`- Weakest question type by session recall_any@5: ${weakest.join("; ")}.`);
  }
  const locomo = run.locomo;
  if (locomo !== undefined) {
    const methods = Object.keys(locomo.methods);
    lines.push(`- LoCoMo evidence recall@10: ${methods.map((method) => `${method} ${fixed(locomo.methods[method]!.overall["recall@10"])}`).join(", ")}.`);
  }
  const keyword = (name: string) => run.longmemeval?.methods.keyword?.session[name];
  const hybrid = (name: string) => run.longmemeval?.methods.hybrid?.session[name];
  if (keyword("recall_all@5") !== undefined && hybrid("recall_all@5") !== undefined) {
    const delta = hybrid("recall_all@5")! - keyword("recall_all@5")!;
    lines.push(`- Hybrid minus keyword, LongMemEval session recall_all@5: ${delta >= 0 ? "+" : ""}${delta.toFixed(3)}${run.locomo?.methods.hybrid !== undefined && run.locomo.methods.keyword !== undefined ? `; LoCoMo recall@10: ${(run.locomo.methods.hybrid.overall["recall@10"]! - run.locomo.methods.keyword.overall["recall@10"]! >= 0 ? "+" : "")}${(run.locomo.methods.hybrid.overall["recall@10"]! - run.locomo.methods.keyword.overall["recall@10"]!).toFixed(3)}` : ""}.${delta < 0 && run.setup?.embedder.name === "hashed" ? " The hashed embedder's ranking is a noisier copy of the lexical signal, so even at a quarter weight it costs hybrid some of keyword's hits; an embedding model (semantic vectors) is what makes the vector side add recall." : ""}`);
  }
  return lines.length === 0 ? [] : ["## Headlines", "", ...lines, ""];
}

function longMemEvalSection(lme: LongMemEvalResult, chart: string | undefined): string[] {
  const methods = Object.keys(lme.methods);
  const names = metricNames(LONGMEMEVAL_KS);
  const out: string[] = ["## LongMemEval", ""];
  out.push(
    `Data: \`${lme.path}\`, ${lme.questions} questions (${lme.abstentionExcluded} abstention questions left out), ${lme.answerable} of them with a gold user turn. ${lme.sessionsStored} haystack sessions and ${lme.turnsStored} user turns stored, each question's haystack in its own scope (user \`q-<question_id>\`)${lme.repeatedSessionsSkipped > 0 ? `; ${lme.repeatedSessionsSkipped} sessions repeated verbatim inside a haystack were stored once` : ""}.`,
    "",
    "Protocol (LongMemEval's `src/retrieval/run_retrieval.py` and `eval_utils.py`): only user turns are indexed, one memory per turn, turn id `<session>_<n>` with n counting all turns of the session; gold turns are user turns marked `has_answer`, gold sessions the sessions holding one. The question is the query, verbatim; 50 turns are retrieved; the session ranking is the order in which sessions first appear among them (their turn-to-session conversion does the same). recall_any@k: some gold item in the top k; recall_all@k: every gold item in the top k (the paper's Recall@k: their summary script prints recall_all and ndcg_any); ndcg_any@k: binary NDCG with their discount (rank 1 and 2 weigh 1, rank r ≥ 2 weighs 1/log2 r). Session NDCG is computed on the session ranking (as when sessions are the documents), not with their turn-to-session NDCG, which counts every turn of a gold session as relevant.",
    "",
    "single-session-assistant questions have their answer in an assistant turn, which the protocol does not index: LongMemEval's code then has no gold for them (their answer session is renamed `noans`) and averages them in as recall_any 0, recall_all 1, ndcg 0. The main tables leave them out (answerable questions only); the comparison with published figures also shows the average taken their way, and a table below scores every question against the file's `answer_session_ids`.",
    "",
  );
  if (chart !== undefined) out.push(`![LongMemEval session-level retrieval](${chart})`, "");
  out.push(`### Session level (${lme.answerable} answerable questions)`, "");
  out.push(table(["method", ...names], methods.map((method) => [method, ...names.map((name) => fixed(lme.methods[method]!.session[name]))])), "");
  out.push(`### Turn level (${lme.answerable} answerable questions)`, "");
  out.push(table(["method", ...names], methods.map((method) => [method, ...names.map((name) => fixed(lme.methods[method]!.turn[name]))])), "");

  out.push("### Next to published figures", "");
  const publishedRows = PUBLISHED.map((figure) => [`${figure.system}: ${figure.source}`, figure.data, figure.recallKind === "recall_all" ? fixed(figure.recallAt5, 2) : "", figure.recallKind === "recall_all" ? "" : `${fixed(figure.recallAt5, 2)} (recall kind ${figure.recallKind})`, fixed(figure.ndcgAt5, 2)]);
  const ourRows = methods.flatMap((method) => {
    const result = lme.methods[method]!;
    return [
      [`omnimem ${method}`, `this sample, ${lme.answerable} answerable questions`, fixed(result.session["recall_all@5"]), fixed(result.session["recall_any@5"]), fixed(result.session["ndcg_any@5"])],
      [`omnimem ${method}, averaged as their script does`, `this sample, all ${lme.questions} questions`, fixed(result.sessionProtocolAverage["recall_all@5"]), fixed(result.sessionProtocolAverage["recall_any@5"]), fixed(result.sessionProtocolAverage["ndcg_any@5"])],
    ];
  });
  out.push(table(["system", "data", "session recall_all@5", "session recall_any@5", "session ndcg_any@5"], [...publishedRows, ...ourRows]), "");
  out.push(
    `Read these as orientation, not as a leaderboard. The published figures are over the full sets (470 non-abstention questions; M has about 500 sessions per question, ten times S), with their retrievers: rank_bm25 over whitespace-split text, Stella V5 (a 1.5B-parameter neural embedder). Ours are over ${sampleSize(lme)}, with LanceDB's BM25 and the embedder named above. The published S figure is a third-party run whose recall definition we could not confirm. Figures as cited in issue 7; the paper's table itself was not re-read for this report. Two differences favour our keyword numbers: LanceDB's tokenizer lower-cases, strips punctuation and stems ("research" finds "Researching"), where LongMemEval's rank_bm25 splits on spaces only; and LanceDB's BM25 statistics (IDF, mean length) are those of the whole table, all questions' haystacks together (S haystacks share most of their filler sessions), not one haystack's.`,
    "",
  );

  out.push("### By question type", "");
  const types = [...new Set(methods.flatMap((method) => Object.keys(lme.methods[method]!.byType)))].sort();
  const typeRows = types.flatMap((type) =>
    methods.map((method) => {
      const entry = lme.methods[method]!.byType[type]!;
      if (entry.answerable === 0) return [type, method, `0 of ${entry.questions}`, "–", "–", "–", "–", fixed(entry.sessionByAnswerSessionIds["recall_any@5"]), fixed(entry.sessionByAnswerSessionIds["ndcg_any@10"])];
      return [
        type,
        method,
        `${entry.answerable} of ${entry.questions}`,
        fixed(entry.session["recall_any@5"]),
        fixed(entry.session["recall_all@5"]),
        fixed(entry.session["ndcg_any@10"]),
        fixed(entry.turn["recall_any@10"]),
        fixed(entry.sessionByAnswerSessionIds["recall_any@5"]),
        fixed(entry.sessionByAnswerSessionIds["ndcg_any@10"]),
      ];
    }),
  );
  out.push(
    table(["question type", "method", "answerable", "session recall_any@5", "session recall_all@5", "session ndcg_any@10", "turn recall_any@10", "recall_any@5 vs answer_session_ids", "ndcg_any@10 vs answer_session_ids"], typeRows),
    "",
    "The last two columns take the file's `answer_session_ids` as gold, for every question: the only view in which single-session-assistant questions are scored (their answer session is found through its user turns, though the answer itself sits in an assistant turn that is not indexed).",
    "",
  );
  out.push("### Session level against answer_session_ids, all questions", "");
  out.push(
    table(
      ["method", "recall_any@5", "recall_all@5", "ndcg_any@5", "recall_any@10", "recall_all@10", "ndcg_any@10"],
      methods.map((method) => {
        const metrics = lme.methods[method]!.sessionByAnswerSessionIds;
        return [method, ...["recall_any@5", "recall_all@5", "ndcg_any@5", "recall_any@10", "recall_all@10", "ndcg_any@10"].map((name) => fixed(metrics[name]))];
      }),
    ),
    "",
  );

  out.push("### What the misses look like", "");
  out.push(
    "Answerable questions split by whether a gold session is in the session top 5. \"query words in gold\": the share of the question's content words (stop words removed, exact lower-cased match, no stemming) that occur in its gold turns; \"in top hit\": the same for the first-ranked turn. Turn lengths in words.",
    "",
  );
  const diagnosticRows = methods.flatMap((method) => {
    const diagnostics = lme.diagnostics[method]!;
    return (["found", "missed"] as const).map((name) => {
      const group = diagnostics[name];
      return [method, name, String(group.questions), fixed(group.queryWordsInGold, 2), fixed(group.queryWordsInTopHit, 2), fixed(group.goldTurnWords, 0), fixed(group.allTurnWords, 0)];
    });
  });
  out.push(table(["method", "session top 5", "questions", "query words in gold", "query words in top hit", "gold turn words", "mean turn words"], diagnosticRows), "");
  const exampleMethod = methods.includes("hybrid") ? "hybrid" : methods[methods.length - 1]!;
  const examples = lme.diagnostics[exampleMethod]?.examples ?? [];
  if (examples.length > 0) {
    out.push(`Missed by ${exampleMethod} (first ${examples.length}, texts shortened):`, "");
    out.push(
      table(
        ["question", "type", "gold turn", "top hit"],
        examples.map((example) => [cell(`${example.questionId}: ${example.question}`, 120), example.type, cell(example.goldTurn, 220), cell(example.topHit, 160)]),
      ),
      "",
    );
  }
  return out;
}

function locomoSection(locomo: LocomoResult, chart: string | undefined): string[] {
  const methods = Object.keys(locomo.methods);
  const out: string[] = ["## LoCoMo", ""];
  const repaired = locomo.evidenceRepaired.length;
  out.push(
    `Data: \`${locomo.path}\`, ${plural(locomo.conversations, "conversation")}, ${locomo.turnsStored} turns stored (both speakers, as senders; ${locomo.imageTurns} image turns indexed as their text plus \`[image: <BLIP caption>]\`), one scope per conversation, session ids \`session_N\`, timestamps from \`session_N_date_time\`. ${locomo.questions} questions with evidence scored${locomo.questionsWithoutEvidence > 0 ? `, ${locomo.questionsWithoutEvidence} without evidence left out` : ""}. Evidence ids repaired: ${repaired}${repaired > 0 ? ` (${locomo.evidenceRepaired.map((entry) => `\`${entry}\``).join(", ")})` : ""}; dropped as naming no turn: ${locomo.evidenceDropped.length}${locomo.evidenceDropped.length > 0 ? ` (${locomo.evidenceDropped.map((entry) => `\`${entry}\``).join(", ")})` : ""}.`,
    "",
    "recall@k is the share of a question's evidence turns (dia_ids) among the top k retrieved turns, averaged over questions: LoCoMo's own retrieval recall (`task_eval/evaluation.py`). Categories as numbered in locomo10.json: 1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop, 5 adversarial (LoCoMo's `evaluation_stats.py` prints them in the order 4, 1, 2, 3, 5 under the paper's column order single-hop, multi-hop, temporal, open-domain, adversarial). Adversarial questions ask about something the conversation does not say, but their evidence names the turns the question plays on, so they are scored like the others.",
    "",
  );
  if (chart !== undefined) out.push(`![LoCoMo recall@k](${chart})`, "");
  out.push(table(["method", ...LOCOMO_KS.map((k) => `recall@${k}`)], methods.map((method) => [method, ...LOCOMO_KS.map((k) => fixed(locomo.methods[method]!.overall[`recall@${k}`]))])), "");
  const categories = [...new Set(methods.flatMap((method) => Object.keys(locomo.methods[method]!.byCategory)))].sort((a, b) => Number(a) - Number(b));
  const header = ["category", "questions", ...methods.flatMap((method) => LOCOMO_KS.map((k) => `${method} @${k}`))];
  const rows = categories.map((category) => {
    const questions = locomo.methods[methods[0]!]!.byCategory[category]?.questions ?? 0;
    return [
      `${category} ${categoryName(category)}`,
      String(questions),
      ...methods.flatMap((method) => LOCOMO_KS.map((k) => fixed(locomo.methods[method]!.byCategory[category]?.recall[`recall@${k}`]))),
    ];
  });
  out.push("By category:", "", table(header, rows), "");
  if (locomo.questionsNamingSpeaker > 0) {
    out.push(
      `Speaker names: ${locomo.questionsNamingSpeaker} questions name one of the two speakers ("What did Caroline research?"). The answer is usually in the named person's own turns, but the turns that contain the name are almost all the other speaker addressing them ("Thanks, Caroline!"; here ${locomo.turnsNamingOwnSpeaker} of ${locomo.turnsNamingASpeaker} turns that contain a speaker's name are that speaker's own), so matching on the name in the text alone finds the wrong turns; the full-text index therefore also reads each turn's sender name (when the run's setup says so, above). Share of the top 5 hits whose text contains the named speaker: ${methods.map((method) => `${method} ${fixed(locomo.methods[method]!.speakerNameInTop5, 2)}`).join(", ")}; share of all turns that contain it: ${fixed(locomo.speakerNameInAllTurns, 2)}. (Text only, not the indexed sender: a low share for keyword now means it finds the named person's own turns.)`,
      "",
    );
  }
  return out;
}

function timingSection(run: RetrievalRun): string[] {
  const out: string[] = ["## Timing (context; quality is the point)", ""];
  const rows: string[][] = [];
  const datasets: [string, { ingestSeconds: number; turnsStored: number; methods: Record<string, { searchMsP50: number; searchMsP95: number }> } | undefined][] = [
    ["LongMemEval", run.longmemeval],
    ["LoCoMo", run.locomo],
  ];
  for (const [name, result] of datasets) {
    if (result === undefined) continue;
    const rate = result.turnsStored / result.ingestSeconds;
    for (const [method, timing] of Object.entries(result.methods)) {
      rows.push([name, `${result.turnsStored} turns in ${result.ingestSeconds.toFixed(1)} s (${rate.toFixed(0)}/s)`, method, fixed(timing.searchMsP50, 1), fixed(timing.searchMsP95, 1)]);
    }
  }
  out.push(
    table(["data", "ingest (add + index maintenance)", "method", "search p50 ms", "search p95 ms"], rows),
    "",
    "Ingest is one `add` per session (infer: false) through markdown, SQLite and LanceDB; searches go end to end through `Memory.search` (limit 50 for LongMemEval, 25 for LoCoMo), one at a time.",
    "",
  );
  return out;
}

interface ComparedMetric {
  name: string;
  method: string;
  before: number | undefined;
  after: number | undefined;
}

/** The headline numbers of two runs side by side. */
export function compareRuns(before: RetrievalRun, after: RetrievalRun): ComparedMetric[] {
  const rows: ComparedMetric[] = [];
  const methods = [...new Set([...before.methods, ...after.methods])];
  for (const method of methods) {
    const lmeBefore = before.longmemeval?.methods[method];
    const lmeAfter = after.longmemeval?.methods[method];
    for (const name of ["recall_any@5", "recall_all@5", "ndcg_any@10"]) {
      rows.push({ name: `LongMemEval session ${name}`, method, before: lmeBefore?.session[name], after: lmeAfter?.session[name] });
    }
    for (const name of ["recall_any@10", "recall_all@10", "ndcg_any@10"]) {
      rows.push({ name: `LongMemEval turn ${name}`, method, before: lmeBefore?.turn[name], after: lmeAfter?.turn[name] });
    }
    for (const k of LOCOMO_KS) {
      rows.push({ name: `LoCoMo recall@${k}`, method, before: before.locomo?.methods[method]?.overall[`recall@${k}`], after: after.locomo?.methods[method]?.overall[`recall@${k}`] });
    }
    const types = [...new Set([...Object.keys(lmeBefore?.byType ?? {}), ...Object.keys(lmeAfter?.byType ?? {})])].sort();
    for (const type of types) {
      const [was, is] = [lmeBefore?.byType[type], lmeAfter?.byType[type]];
      if ((was?.answerable ?? 0) === 0 && (is?.answerable ?? 0) === 0) continue;
      rows.push({ name: `LongMemEval ${type} session recall_all@5`, method, before: was?.session["recall_all@5"], after: is?.session["recall_all@5"] });
      rows.push({ name: `LongMemEval ${type} turn recall_all@10`, method, before: was?.turn["recall_all@10"], after: is?.turn["recall_all@10"] });
    }
    const categories = [...new Set([...Object.keys(before.locomo?.methods[method]?.byCategory ?? {}), ...Object.keys(after.locomo?.methods[method]?.byCategory ?? {})])].sort();
    for (const category of categories) {
      rows.push({
        name: `LoCoMo ${category} ${categoryName(category)} recall@10`,
        method,
        before: before.locomo?.methods[method]?.byCategory[category]?.recall["recall@10"],
        after: after.locomo?.methods[method]?.byCategory[category]?.recall["recall@10"],
      });
    }
    rows.push({ name: "LongMemEval search p50 ms", method, before: lmeBefore?.searchMsP50, after: lmeAfter?.searchMsP50 });
  }
  return rows.filter((row) => row.before !== undefined || row.after !== undefined);
}

export function comparisonTable(before: RetrievalRun, after: RetrievalRun): string {
  const rows = compareRuns(before, after).map((row) => {
    const delta = row.before !== undefined && row.after !== undefined ? row.after - row.before : undefined;
    const sign = delta !== undefined && delta > 0 ? "+" : "";
    return [row.name, row.method, fixed(row.before), fixed(row.after), delta === undefined ? "–" : `${sign}${delta.toFixed(3)}`];
  });
  return table(["metric", "method", before.label ?? "before", after.label ?? "after", "Δ"], rows);
}

function comparisonSection(before: RetrievalRun, after: RetrievalRun): string[] {
  const out: string[] = [`## Before → after`, ""];
  out.push(`Before: run of ${before.date}${before.label === undefined ? "" : ` ("${before.label}")`}, \`${before.command}\`.`, "");
  const sameData =
    before.longmemeval?.path === after.longmemeval?.path &&
    before.longmemeval?.questions === after.longmemeval?.questions &&
    before.locomo?.path === after.locomo?.path &&
    before.locomo?.questions === after.locomo?.questions;
  if (!sameData) out.push("**The two runs did not use the same data or question counts: the deltas mix data and code changes.**", "");
  out.push(comparisonTable(before, after), "");
  return out;
}

function reproduceSection(): string[] {
  return [
    "## Reproduce",
    "",
    "```sh",
    "# the dev samples in ../shared/data (60 LongMemEval-S questions, 3 LoCoMo conversations)",
    "npx tsx bench/retrieval.ts",
    "# quick check (10 questions across the types, 1 conversation) into bench/reports/retrieval-quick.*",
    "npx tsx bench/retrieval.ts --quick",
    "# full sets: LongMemEval from Hugging Face xiaowu0162/longmemeval-cleaned (longmemeval_s_cleaned.json,",
    "# longmemeval_m_cleaned.json, longmemeval_oracle.json), LoCoMo from github snap-research/locomo (data/locomo10.json)",
    "npx tsx bench/retrieval.ts --longmemeval longmemeval_s_cleaned.json --locomo locomo10.json --out bench/reports/retrieval-full",
    "# before/after a change: keep the first run's JSON, then compare",
    "npx tsx bench/retrieval.ts --label after --out bench/reports/retrieval-after --compare bench/reports/retrieval.json",
    "```",
    "",
    "Other flags: `--longmemeval none` or `--locomo none` (skip one), `--questions N` (N questions taken in turn from each question type), `--conversations N`, `--methods keyword,vector,hybrid`, `--root DIR` (keep the stores; default a temporary folder, removed at the end). The full S set is about 8 times the dev sample's work (470 questions), M about 80 times.",
  ];
}
