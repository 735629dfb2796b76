import { it } from "vitest";
import { canonicalize } from "../../src/domain/audit-chain.js";
import { auditFields, createAuditWriter } from "../../src/store/audit-log.js";
import { AUDIT_COLUMNS, rowToRecord } from "../../src/store/audit-verify.js";
import { openAuditTestDb } from "../../test/store/audit-hooks.js";
it("dbg", async () => {
  const t = await openAuditTestDb();
  const w = createAuditWriter({ sql: t.sql });
  await w.recordStandalone({ system: "x" }, { type: "system.startup", success: true, details: { a: 1 } });
  const rows = await t.sql`select ${t.sql(AUDIT_COLUMNS as unknown as string[])} from audit_log`;
  const r = rowToRecord(rows[0] as any);
  console.log(rows[0], canonicalize(r).toString());
  await t.close();
});
