import { Model } from 'objection'

/**
 * Our models never bind a global knex: every query names its connection or
 * transaction (`Miner.query(trx)`), so several apps (tests) share one process.
 */
export class BaseModel extends Model {
  static override get useLimitInFirst() {
    return true
  }
}
