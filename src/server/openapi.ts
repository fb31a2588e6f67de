/** The OpenAPI 3.1 document of the HTTP API, generated from the same zod schemas that validate requests. */
import { z } from "zod";
import {
  addRequestSchema,
  deleteRequestSchema,
  errorEnvelopeSchema,
  flushRequestSchema,
  getRequestSchema,
  historyRequestSchema,
  ownersRequestSchema,
  responseSchemas,
  searchRequestSchema,
  updateRequestSchema,
} from "./schemas.js";

interface RouteDoc {
  path: string;
  summary: string;
  request: z.ZodType;
  response: z.ZodType;
  errors: number[];
}

const ROUTES: RouteDoc[] = [
  {
    path: "/api/v1/memory/add",
    summary: "Add messages to a session: every non-text item is parsed now; the turns are buffered (or extracted with sync: true)",
    request: addRequestSchema,
    response: responseSchemas.add,
    errors: [401, 403, 413, 415, 422, 503],
  },
  {
    path: "/api/v1/memory/flush",
    summary: "Make an episode (and facts) of what a session has buffered",
    request: flushRequestSchema,
    response: responseSchemas.flush,
    errors: [401, 403, 413, 422, 503],
  },
  {
    path: "/api/v1/memory/search",
    summary: "Search an owner's memories by keyword, vector, hybrid or agentic retrieval",
    request: searchRequestSchema,
    response: responseSchemas.search,
    errors: [401, 403, 413, 422, 503],
  },
  {
    path: "/api/v1/memory/get",
    summary: "List an owner's memories, a page at a time",
    request: getRequestSchema,
    response: responseSchemas.get,
    errors: [401, 403, 413, 422, 503],
  },
  {
    path: "/api/v1/memory/update",
    summary: "Change a memory's text or metadata (the old text stays in its history); with user_id / agent_id only that owner's",
    request: updateRequestSchema,
    response: responseSchemas.update,
    errors: [401, 403, 404, 413, 422, 503],
  },
  {
    path: "/api/v1/memory/delete",
    summary: "Delete one memory by id (with user_id / agent_id: only that owner's), or every memory of an owner",
    request: deleteRequestSchema,
    response: responseSchemas.delete,
    errors: [401, 403, 404, 413, 422, 503],
  },
  {
    path: "/api/v1/memory/history",
    summary: "The changes of one memory, also once deleted (Mem0's history rows); with user_id / agent_id only that owner's",
    request: historyRequestSchema,
    response: responseSchemas.history,
    errors: [401, 403, 404, 413, 422, 503],
  },
  {
    path: "/api/v1/memory/owners",
    summary: "The owners (users and agents) with memories in the app and project, most recently active first, paged",
    request: ownersRequestSchema,
    response: responseSchemas.owners,
    errors: [401, 403, 413, 422, 503],
  },
];

const ERROR_TEXT: Record<number, string> = {
  401: "UNAUTHORIZED: missing or wrong API key",
  403: "FORBIDDEN: the API key is not allowed for this app or project",
  404: "NOT_FOUND: no memory with this id that the caller may reach (another owner's, or another app's or project's, answers the same)",
  413: "PAYLOAD_TOO_LARGE: the body is over the server's limit",
  415: "UNSUPPORTED_FORMAT, INVALID_IMAGE, FILE_TOO_LARGE, URI_REJECTED or CAPABILITY_UNAVAILABLE: a content item cannot be parsed; nothing was written",
  422: "INVALID_INPUT: the body fails the schema, or has a field it does not know (the message names the first problem and its path)",
  503: "PROVIDER_ERROR, CAPABILITY_UNAVAILABLE, INDEX_MISMATCH, STORE_LOCKED or REQUEST_TIMEOUT: try again later or fix the setup",
};

function schemaOf(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Record<string, unknown>;
  return rest;
}

function envelope(data: Record<string, unknown>): Record<string, unknown> {
  return {
    type: "object",
    required: ["request_id", "data"],
    properties: { request_id: { type: "string", description: "32 hex characters; also the x-request-id header" }, data },
  };
}

let cached: Record<string, unknown> | undefined;

export function openApiDocument(version: string): Record<string, unknown> {
  if (cached !== undefined) return cached;
  const paths: Record<string, unknown> = {};
  const errorEnvelope = schemaOf(errorEnvelopeSchema, "output");
  for (const route of ROUTES) {
    const responses: Record<string, unknown> = {
      200: { description: "Success", content: { "application/json": { schema: envelope(schemaOf(route.response, "output")) } } },
    };
    for (const status of route.errors) {
      responses[status] = { description: ERROR_TEXT[status], content: { "application/json": { schema: { $ref: "#/components/schemas/ErrorEnvelope" } } } };
    }
    paths[route.path] = {
      post: {
        summary: route.summary,
        requestBody: { required: true, content: { "application/json": { schema: schemaOf(route.request, "input") } } },
        responses,
      },
    };
  }
  paths["/health"] = {
    get: { summary: "Status, version, mode and each capability with what would enable it", security: [], responses: { 200: { description: "Health report" } } },
  };
  paths["/metrics"] = {
    get: { summary: "Prometheus metrics (text exposition format)", responses: { 200: { description: "Metrics", content: { "text/plain": {} } } } },
  };
  paths["/openapi.json"] = { get: { summary: "This document", security: [], responses: { 200: { description: "OpenAPI 3.1" } } } };
  cached = {
    openapi: "3.1.0",
    info: {
      title: "omnimem",
      version,
      description: "Long-term memory for AI agents. EverOS-compatible memory routes plus update, delete and history.",
    },
    components: {
      schemas: { ErrorEnvelope: errorEnvelope },
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API key from [server] api_keys" } },
    },
    security: [{ bearer: [] }],
    paths,
  };
  return cached;
}
