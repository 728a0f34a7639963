// Submits a job through a client generated from the gateway's OpenAPI document (openapi-typescript + openapi-fetch)
// and reads it back. Usage: tsx submit-and-read.ts BASE_URL API_KEY IDEMPOTENCY_KEY. Prints one JSON line; exits 1 on error.
import createClient from "openapi-fetch";
import type { paths } from "./generated/schema.js";

const [baseUrl, apiKey, idempotencyKey] = process.argv.slice(2);
if (!baseUrl || !apiKey || !idempotencyKey) {
  console.error("usage: submit-and-read.ts BASE_URL API_KEY IDEMPOTENCY_KEY");
  process.exit(2);
}

const grid = createClient<paths>({ baseUrl, headers: { "X-API-Key": apiKey } });

const submitted = await grid.POST("/v1/jobs", {
  params: { header: { "Idempotency-Key": idempotencyKey } },
  body: {
    originHub: "yangtze",
    resources: { cpuMillicores: 2000, memoryMiB: 4096, gpus: 1, gpuModel: "910B" },
    runTimeSeconds: 3600,
    latencyClass: "Batch",
    policy: "Greenest",
  },
});
if (!submitted.data) {
  console.error(`submit failed: ${submitted.response.status} ${JSON.stringify(submitted.error)}`);
  process.exit(1);
}

const read = await grid.GET("/v1/jobs/{jobId}", { params: { path: { jobId: submitted.data.jobId } } });
if (!read.data) {
  console.error(`read failed: ${read.response.status} ${JSON.stringify(read.error)}`);
  process.exit(1);
}

const missing = await grid.GET("/v1/jobs/{jobId}", { params: { path: { jobId: "no-such-job" } } });

console.log(JSON.stringify({
  submittedStatus: submitted.response.status,
  jobId: read.data.jobId,
  tenant: read.data.tenant,
  state: read.data.state,
  dataCenterId: read.data.placement?.dataCenterId ?? null,
  missingStatus: missing.response.status,
  missingField: missing.error?.field ?? null,
}));
