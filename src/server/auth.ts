import { createHash, timingSafeEqual } from "node:crypto";
import type { ApiKeyConfig } from "../config/schema.js";
import { AuthError } from "../spec/errors.js";

/** What an authenticated caller may reach; `undefined` fields are unrestricted. */
export interface Access {
  appId?: string;
  projectId?: string;
  /** A label for logs that never reveals the key. */
  keyId: string;
}

const OPEN: Access = { keyId: "none" };

/**
 * API keys sent as `Authorization: Bearer <key>`. Keys are compared as SHA-256 digests in
 * constant time, every key every time, so neither timing nor length tells a caller anything.
 */
export class ApiKeyAuth {
  private readonly keys: { digest: Buffer; access: Access }[];

  constructor(keys: readonly ApiKeyConfig[]) {
    this.keys = keys.map((key) => {
      const digest = sha256(key.key);
      const access: Access = { keyId: digest.toString("hex").slice(0, 8) };
      if (key.appId !== undefined) access.appId = key.appId;
      if (key.projectId !== undefined) access.projectId = key.projectId;
      return { digest, access };
    });
  }

  /** No keys configured: every caller is let in (the server refuses this beyond loopback). */
  get enabled(): boolean {
    return this.keys.length > 0;
  }

  /** The caller's access, from the Authorization header; UNAUTHORIZED when missing or wrong. */
  authenticate(header: string | undefined): Access {
    if (!this.enabled) return OPEN;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) throw new AuthError("UNAUTHORIZED", "missing API key: send Authorization: Bearer <key>");
    const presented = sha256(match[1]!);
    let found: Access | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, presented) && found === undefined) found = key.access;
    }
    if (found === undefined) throw new AuthError("UNAUTHORIZED", "invalid API key");
    return found;
  }

  /** Whether the Authorization header would be let in (always, with no keys configured); never throws. */
  admits(header: string | undefined): boolean {
    try {
      this.authenticate(header);
      return true;
    } catch {
      return false;
    }
  }

  /** FORBIDDEN when the key is confined to another app or project. */
  static authorize(access: Access, appId: string, projectId: string): void {
    if (access.appId !== undefined && access.appId !== appId) {
      throw new AuthError("FORBIDDEN", `this API key is not allowed for app_id ${JSON.stringify(appId)}`, { details: { app_id: appId } });
    }
    if (access.projectId !== undefined && access.projectId !== projectId) {
      throw new AuthError("FORBIDDEN", `this API key is not allowed for project_id ${JSON.stringify(projectId)}`, {
        details: { project_id: projectId },
      });
    }
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}
