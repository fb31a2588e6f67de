/** Health: the mode, and each capability with what would enable it (GET /health). */
import { useEffect, useState } from "preact/hooks";
import { api, type HealthReport } from "./api.js";
import { ErrorNote } from "./components.js";

export function HealthView() {
  const [health, setHealth] = useState<HealthReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    api.health().then(setHealth, setError);
  }, []);
  return (
    <section aria-labelledby="health-title" class="view">
      <h2 id="health-title">Health</h2>
      <ErrorNote error={error} />
      {health !== null && (
        <>
          <p>
            omnimem {health.version}, <strong>{health.mode === "llm" ? "LLM mode" : "local mode"}</strong>
          </p>
          <table class="capabilities">
            <caption class="visually-hidden">Capabilities</caption>
            <thead>
              <tr>
                <th scope="col">Capability</th>
                <th scope="col">State</th>
                <th scope="col">In use</th>
                <th scope="col">To enable or upgrade</th>
              </tr>
            </thead>
            <tbody>
              {Object.entries(health.capabilities).map(([name, report]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td>
                    <span class="badge" data-capability={report.state}>
                      {report.state}
                    </span>
                  </td>
                  <td>{report.detail}</td>
                  <td>{report.enable ?? "—"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
