import { ValidationError } from "../../spec/errors.js";
import { isMetadataKey, MAX_FILTER_DEPTH, parseIsoTime } from "../../spec/scope.js";
import type { FilterOperators, FilterScalar, Scope, SearchFilter } from "../../spec/types.js";

/**
 * Mem0-style filters compiled to PostgreSQL with every value a bind parameter: the SQL text is
 * made only of whitelisted column names, operators and `$n` placeholders, so nothing a caller
 * sends is ever spliced into a statement (metadata keys included: they travel inside a jsonb
 * parameter matched with `@>`). Same fields and semantics as the SQLite/LanceDB compiler in
 * src/search/filters.ts (the backend refactor will give both one home under src/store/).
 */

/** Collects bind values; `add` returns the placeholder to put in the SQL text. */
export class SqlParams {
  readonly values: unknown[] = [];

  constructor(initial: readonly unknown[] = []) {
    this.values.push(...initial);
  }

  add(value: unknown): string {
    if (typeof value === "string" && value.includes("\u0000")) throw invalid("values may not contain NUL characters");
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

type ColumnType = "text" | "time";

const COLUMNS: Record<string, { column: string; type: ColumnType }> = {
  session_id: { column: "session_id", type: "text" },
  sessionId: { column: "session_id", type: "text" },
  sender_id: { column: "sender_id", type: "text" },
  senderId: { column: "sender_id", type: "text" },
  run_id: { column: "run_id", type: "text" },
  runId: { column: "run_id", type: "text" },
  agent_id: { column: "agent_id", type: "text" },
  agentId: { column: "agent_id", type: "text" },
  user_id: { column: "user_id", type: "text" },
  userId: { column: "user_id", type: "text" },
  role: { column: "role", type: "text" },
  kind: { column: "kind", type: "text" },
  episode_id: { column: "episode_id", type: "text" },
  timestamp: { column: "ts", type: "time" },
  created_at: { column: "created_at", type: "time" },
  createdAt: { column: "created_at", type: "time" },
  updated_at: { column: "updated_at", type: "time" },
  updatedAt: { column: "updated_at", type: "time" },
};

const OPERATORS = new Set(["eq", "ne", "gt", "gte", "lt", "lte", "in"]);
const COMPARISONS: Record<string, string> = { gt: ">", gte: ">=", lt: "<", lte: "<=" };

/** The owner clause: always present, never built from filters. `alias` prefixes the columns. */
export function scopeSql(scope: Scope, params: SqlParams, alias = ""): string {
  const p = alias === "" ? "" : `${alias}.`;
  return (
    `${p}app_id = ${params.add(scope.appId)} AND ${p}project_id = ${params.add(scope.projectId)} AND ` +
    `${p}owner_type = ${params.add(scope.ownerType)} AND ${p}owner_id = ${params.add(scope.ownerId)}`
  );
}

/** `scope AND (filter)`: a filter can narrow a query to less than the owner's memories, never widen it. */
export function whereSql(scope: Scope, filter: SearchFilter | undefined, params: SqlParams): string {
  const scoped = scopeSql(scope, params);
  const compiled = filter === undefined ? undefined : compileFilter(filter, params);
  return compiled === undefined ? scoped : `${scoped} AND (${compiled})`;
}

export function compileFilter(filter: SearchFilter, params: SqlParams, depth = 0): string | undefined {
  if (depth > MAX_FILTER_DEPTH) throw invalid("filters nest too deeply");
  if (filter === null || typeof filter !== "object" || Array.isArray(filter)) throw invalid("filters must be an object");
  const clauses: string[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    if (key === "AND" || key === "OR") {
      if (!Array.isArray(value)) throw invalid(`${key} must be a list of filters`);
      const parts = value
        .map((child) => compileFilter(child as SearchFilter, params, depth + 1))
        .filter((part): part is string => part !== undefined);
      if (parts.length > 0) clauses.push(`(${parts.map((part) => `(${part})`).join(` ${key} `)})`);
    } else if (key === "metadata") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid("metadata filter must be an object");
      for (const [metaKey, metaValue] of Object.entries(value)) clauses.push(metadataCondition(metaKey, metaValue, params));
    } else if (Object.hasOwn(COLUMNS, key)) {
      const { column, type } = COLUMNS[key]!;
      clauses.push(columnCondition(key, column, type, value, params));
    } else {
      clauses.push(metadataCondition(key, value, params));
    }
  }
  return clauses.length === 0 ? undefined : clauses.join(" AND ");
}

function columnCondition(field: string, column: string, type: ColumnType, value: unknown, params: SqlParams): string {
  const bind = (v: unknown) => (type === "time" ? `${params.add(toEpochMs(field, v))}::float8` : params.add(textValue(field, v)));
  if (!isOperatorObject(value)) return `${column} = ${bind(value)}`;
  const parts: string[] = [];
  for (const [op, operand] of Object.entries(value)) {
    if (op === "eq") parts.push(`${column} = ${bind(operand)}`);
    else if (op === "ne") parts.push(`(${column} IS NULL OR ${column} <> ${bind(operand)})`);
    else if (op === "in") {
      if (!Array.isArray(operand) || operand.length === 0) throw invalid(`${field}.in must be a non-empty list`);
      parts.push(`${column} IN (${operand.map(bind).join(", ")})`);
    } else parts.push(`${column} ${COMPARISONS[op]} ${bind(operand)}`);
  }
  return parts.join(" AND ");
}

function metadataCondition(key: string, value: unknown, params: SqlParams): string {
  if (!isMetadataKey(key)) throw invalid(`unknown filter field or invalid metadata key: ${JSON.stringify(key)}`);
  // Containment is type-strict ({"n": "1"} does not match 1), like the embedded store's pairs,
  // and is answered by the GIN index on metadata.
  const equals = (operand: unknown) => `metadata @> ${params.add(JSON.stringify({ [key]: scalarValue(key, operand) }))}::jsonb`;
  if (!isOperatorObject(value)) return equals(value);
  const parts: string[] = [];
  for (const [op, operand] of Object.entries(value)) {
    if (op === "eq") parts.push(equals(operand));
    else if (op === "ne") parts.push(`NOT (${equals(operand)})`);
    else if (op === "in") {
      if (!Array.isArray(operand) || operand.length === 0) throw invalid(`${key}.in must be a non-empty list`);
      parts.push(`(${operand.map(equals).join(" OR ")})`);
    } else throw invalid(`metadata filters support eq, ne and in; ${key} uses ${op}`);
  }
  return parts.join(" AND ");
}

function isOperatorObject(value: unknown): value is FilterOperators {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  if (keys.length === 0) throw invalid("an operator object needs at least one operator");
  for (const key of keys) if (!OPERATORS.has(key)) throw invalid(`unknown filter operator ${JSON.stringify(key)}`);
  return true;
}

function scalarValue(field: string, value: unknown): FilterScalar {
  if (typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number" && Number.isFinite(value)) return value;
  throw invalid(`${field} must be a string, a finite number or a boolean`);
}

function textValue(field: string, value: unknown): string {
  if (typeof value !== "string") throw invalid(`${field} must be a string`);
  return value;
}

function toEpochMs(field: string, value: unknown): number {
  if (typeof value === "number" && Number.isFinite(value)) return value;
  if (typeof value === "string") {
    const parsed = parseIsoTime(value);
    if (Number.isFinite(parsed)) return parsed;
  }
  throw invalid(`${field} must be epoch milliseconds or an ISO-8601 date`);
}

function invalid(message: string): ValidationError {
  return new ValidationError(`invalid filters: ${message}`, { details: { path: "filters" } });
}
