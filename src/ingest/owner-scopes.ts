import type { OwnerMatch } from "../spec/memory-store.js";
import { ValidationError } from "../spec/errors.js";
import type { Scope } from "../spec/types.js";
import { assertSegmentId } from "../store/ids.js";
import type { OwnerOptions } from "./call-options.js";

/** Turns a call's owner options into the scope it writes and searches, or the match a by-id call may reach. */
export class OwnerScopes {
  constructor(private readonly defaults: { appId: string; projectId: string }) {}

  /** The call's app and project, else the config's. */
  appAndProject(options: Pick<OwnerOptions, "appId" | "projectId">): Pick<Scope, "appId" | "projectId"> {
    return {
      appId: options.appId === undefined ? this.defaults.appId : assertSegmentId(options.appId, "appId"),
      projectId: options.projectId === undefined ? this.defaults.projectId : assertSegmentId(options.projectId, "projectId"),
    };
  }

  /** The owner: the user when named, else the agent; one of them is required. */
  scopeOf(options: OwnerOptions): Scope {
    const { appId, projectId } = this.appAndProject(options);
    if (options.userId !== undefined) {
      return { appId, projectId, ownerType: "user", ownerId: assertSegmentId(options.userId, "userId") };
    }
    if (options.agentId !== undefined) {
      return { appId, projectId, ownerType: "agent", ownerId: assertSegmentId(options.agentId, "agentId") };
    }
    throw new ValidationError("one of userId or agentId is required", { details: { path: "userId" } });
  }

  /** What a by-id call may reach: the app and project always (the config's by default), the owner when named. */
  ownerMatch(owner: OwnerOptions = {}): OwnerMatch {
    const match: OwnerMatch = this.appAndProject(owner);
    if (owner.userId !== undefined || owner.agentId !== undefined) {
      const { ownerType, ownerId } = this.scopeOf(owner);
      match.ownerType = ownerType;
      match.ownerId = ownerId;
      // A user's memory made with an agent: naming both narrows to it, as getAll does.
      if (owner.userId !== undefined && owner.agentId !== undefined) match.agentId = assertSegmentId(owner.agentId, "agentId");
    }
    if (owner.runId !== undefined) match.runId = assertSegmentId(owner.runId, "runId");
    return match;
  }
}
