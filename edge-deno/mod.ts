/**
 * The edge collector as a library: cgminer client, reply repair,
 * normalized telemetry, polling and discovery; and the farm side: API client,
 * miner decryption, telemetry samples, spool, delivery and the collector loop.
 */
export { CGMINER_PORT, formatAddress, type MinerAddress, parseAddress } from './cgminer/address.ts'
export { CgminerClient, type ClientOptions, exchange, MinerError, type MinerErrorKind, type RequestOptions } from './cgminer/client.ts'
export { type CommandReply, decodeReply, encodeRequest, splitMultiReply } from './cgminer/protocol.ts'
export { parseMinerJson, repairJson } from './cgminer/repair.ts'
export { type CgminerStatus, isErrorStatus, readStatus } from './cgminer/status.ts'
export { identifyMiner, type MinerIdentity, type Vendor } from './cgminer/identify.ts'
export { type ActivePool, type MinerTelemetry, normalizeTelemetry, offlineTelemetry } from './telemetry.ts'
export { mapPool, POLL_COMMANDS, pollCycle, pollLoop, pollMiner, type PollOptions, type PollTarget } from './poller.ts'
export { type FoundMiner, scan, type ScanOptions } from './discovery.ts'
export { checkScanRange, parseCidr } from './cidr.ts'
export { ApiClient, type ApiClientOptions, ApiError, type ApiErrorKind } from './api_client.ts'
export { type CollectorOptions, type CollectorSummary, runCollector } from './collector.ts'
export { Delivery, type DeliveryOptions, type FlushResult, MAX_BATCH_SAMPLES, toBatches } from './delivery.ts'
export { scrubAddress, toSample, unpolledSample } from './sample.ts'
export { Spool, SPOOL_DEFAULTS, type SpoolOptions } from './spool.ts'
export { MinerResolver, type MinerTarget, type Resolution, type UnpolledMiner } from './targets.ts'
