/** The walk every maintenance job makes: each owner holding a data key, in id order, a page at a time. */
import type { Sql } from "./database.js";
import { inTx, SYSTEM, type TxOptions } from "./tx.js";

export interface KeyedOwner {
  owner_id: string;
  account_id: string;
  wrapped_key: Uint8Array;
  master_key_id: string | null;
}

/** One short transaction per page (system context), so a long job holds no snapshot open. */
export async function* keyedOwners(sql: Sql, pageSize: number, opts?: TxOptions): AsyncGenerator<KeyedOwner> {
  let after = "00000000-0000-0000-0000-000000000000";
  for (;;) {
    const page = await inTx(
      sql,
      SYSTEM,
      (tx) => tx<KeyedOwner[]>`
      select id as owner_id, account_id, wrapped_key, master_key_id from owners
      where id > ${after}::uuid and wrapped_key is not null order by id limit ${pageSize}`,
      opts,
    );
    yield* page;
    if (page.length < pageSize) return;
    after = page[page.length - 1]!.owner_id;
  }
}
