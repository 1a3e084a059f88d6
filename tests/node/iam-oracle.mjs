// Test-only oracle for tests/iam_differential.rs: runs @cloud-copilot/iam-simulate (AGPL) as a
// separate process. Nothing here is shipped or linked into ecs-preflight.
//
// Input: JSON lines on stdin, one case each:
//   {"id": 1, "request": {principal, action, resource: {resource, accountId}, contextVariables},
//    "identityPolicies": [{name, policy}], "permissionBoundaryPolicies"?: [{name, policy}],
//    "resourcePolicy"?: policy}
// Output: one JSON line per case: {"id": 1, "result": "Allowed" | "ExplicitlyDenied" |
//   "ImplicitlyDenied" | "error", "error"?: ...}
import { runSimulation } from '@cloud-copilot/iam-simulate'
import readline from 'node:readline'

const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of lines) {
  if (!line.trim()) continue
  let id = null
  let out
  try {
    const c = JSON.parse(line)
    id = c.id
    const simulation = {
      request: c.request,
      identityPolicies: c.identityPolicies,
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: c.resourcePolicy ?? undefined,
      permissionBoundaryPolicies: c.permissionBoundaryPolicies ?? undefined
    }
    const response = await runSimulation(simulation, {})
    if (response.resultType === 'error') {
      out = { id, result: 'error', error: response.errors }
    } else {
      out = { id, result: response.overallResult }
    }
  } catch (e) {
    out = { id, result: 'error', error: String(e && e.stack ? e.stack : e) }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}
