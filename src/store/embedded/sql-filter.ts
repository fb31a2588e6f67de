import { ValidationError } from "../../spec/errors.js";
import { isMetadataKey, MAX_FILTER_DEPTH, parseIsoTime, scopeKey } from "../../spec/scope.js";
import type { FilterOperators, FilterScalar, Metadata, Scope, SearchFilter } from "../../spec/types.js";

/**
 * Compiles Mem0-style filters into a SQL boolean expression. The same column names exist in the
 * SQLite catalog and the LanceDB table. Metadata is matched through `meta_kv`, the list of
 * `key=<json value>` strings that both hold (LanceDB cannot look inside JSON).
 * Field names are whitelisted and every value is a quoted literal, so a filter can narrow a
 * query but never widen it: the owner clause is always ANDed outside of it.
 */
export type SqlDialect = "sqlite" | "lance";

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

export function sqlString(value: string): string {
  if (value.includes("\u0000")) throw new ValidationError("filter values may not contain NUL characters");
  return `'${value.replaceAll("'", "''")}'`;
}

/** The clause that confines a query to one owner: always present, never built from filters. */
export function scopeClause(scope: Scope, dialect: SqlDialect): string {
  if (dialect === "lance") return `scope_key = ${sqlString(scopeKey(scope))}`;
  return [
    `app_id = ${sqlString(scope.appId)}`,
    `project_id = ${sqlString(scope.projectId)}`,
    `owner_type = ${sqlString(scope.ownerType)}`,
    `owner_id = ${sqlString(scope.ownerId)}`,
  ].join(" AND ");
}

/** `scope AND (filter)`; the filter part is omitted when empty. */
export function whereClause(scope: Scope, filter: SearchFilter | undefined, dialect: SqlDialect): string {
  const scoped = scopeClause(scope, dialect);
  const compiled = filter === undefined ? undefined : compileFilter(filter, dialect);
  return compiled === undefined ? scoped : `${scoped} AND (${compiled})`;
}

/** Encodes one metadata pair the way the LanceDB `meta_kv` column stores it. */
export function metadataPair(key: string, value: FilterScalar | null): string {
  return `${key}=${JSON.stringify(value)}`;
}

export function metadataPairs(metadata: Metadata): string[] {
  return Object.entries(metadata).map(([key, value]) => metadataPair(key, value));
}

export function compileFilter(filter: SearchFilter, dialect: SqlDialect, depth = 0): string | undefined {
  if (depth > MAX_FILTER_DEPTH) throw invalid("filters nest too deeply");
  if (filter === null || typeof filter !== "object" || Array.isArray(filter)) throw invalid("filters must be an object");
  const clauses: string[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (value === undefined) continue;
    if (key === "AND" || key === "OR") {
      if (!Array.isArray(value)) throw invalid(`${key} must be a list of filters`);
      const parts = value
        .map((child) => compileFilter(child as SearchFilter, dialect, depth + 1))
        .filter((part): part is string => part !== undefined);
      if (parts.length > 0) clauses.push(`(${parts.map((part) => `(${part})`).join(` ${key} `)})`);
    } else if (key === "metadata") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) throw invalid("metadata filter must be an object");
      for (const [metaKey, metaValue] of Object.entries(value)) clauses.push(metadataCondition(metaKey, metaValue, dialect));
    } else if (Object.hasOwn(COLUMNS, key)) {
      const { column, type } = COLUMNS[key]!;
      clauses.push(columnCondition(key, column, type, value));
    } else {
      clauses.push(metadataCondition(key, value, dialect));
    }
  }
  return clauses.length === 0 ? undefined : clauses.join(" AND ");
}

function columnCondition(field: string, column: string, type: ColumnType, value: unknown): string {
  const literal = (v: unknown) => (type === "time" ? String(toEpochMs(field, v)) : sqlString(textValue(field, v)));
  if (!isOperatorObject(value)) return `${column} = ${literal(value)}`;
  const parts: string[] = [];
  for (const [op, operand] of Object.entries(value)) {
    switch (op) {
      case "eq":
        parts.push(`${column} = ${literal(operand)}`);
        break;
      case "ne":
        parts.push(`(${column} IS NULL OR ${column} <> ${literal(operand)})`);
        break;
      case "gt":
      case "gte":
      case "lt":
      case "lte": {
        const symbol = { gt: ">", gte: ">=", lt: "<", lte: "<=" }[op];
        parts.push(`${column} ${symbol} ${literal(operand)}`);
        break;
      }
      case "in": {
        if (!Array.isArray(operand) || operand.length === 0) throw invalid(`${field}.in must be a non-empty list`);
        parts.push(`${column} IN (${operand.map(literal).join(", ")})`);
        break;
      }
    }
  }
  return parts.join(" AND ");
}

function metadataCondition(key: string, value: unknown, dialect: SqlDialect): string {
  if (!isMetadataKey(key)) throw invalid(`unknown filter field or invalid metadata key: ${JSON.stringify(key)}`);
  const equals = (operand: unknown) => metadataEquals(key, scalarValue(key, operand), dialect);
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

function metadataEquals(key: string, value: FilterScalar, dialect: SqlDialect): string {
  const pair = sqlString(metadataPair(key, value));
  return dialect === "lance"
    ? `array_has(meta_kv, ${pair})`
    : `EXISTS (SELECT 1 FROM json_each(meta_kv) WHERE json_each.value = ${pair})`;
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
