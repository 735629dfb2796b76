/** `memoric index rebuild`: re-indexes memories whose blind-index postings are outdated (see store/reindex.ts). */
import type { Logger } from "../logger.js";
import { MasterKeyring } from "../security/crypto.js";
import type { AuditWriter } from "../store/audit-log.js";
import type { Sql } from "../store/database.js";
import { reindexAll, type ReindexResult } from "../store/reindex.js";

export async function indexRebuild(opts: {
  sql: Sql;
  keysetBase64: string;
  batchSize?: number;
  logger?: Logger;
  audit?: AuditWriter;
}): Promise<ReindexResult> {
  const keyring = await MasterKeyring.fromBase64(opts.keysetBase64);
  return reindexAll({ sql: opts.sql, keyring, batchSize: opts.batchSize, logger: opts.logger, audit: opts.audit });
}
