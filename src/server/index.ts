/** The HTTP server: `createApp(memory, options)` for any Node/edge host, `startServer(config)` to listen. */
export { createApp, type AppOptions } from "./app.js";
export { startServer, isLoopbackHost, serverMemoryConfig, type RunningServer, type StartServerOptions } from "./start.js";
export { healthReport } from "./health.js";
export { openApiDocument } from "./openapi.js";
export { ServerMetrics } from "./metrics.js";
export { ApiKeyAuth, type Access } from "./auth.js";
export type * from "../spec/http.js";
