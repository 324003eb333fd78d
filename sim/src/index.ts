/**
 * @dtle-compat/sim: the simulated counterparts of what dtle-compat talks to, each an in-memory
 * HTTP server on loopback with the real one's paths, shapes, status codes, headers and error
 * texts. Used by the test suite, `dtle-compat --demo` and the benchmark; never by the service.
 *
 *   nomad/   a Nomad 1.x agent (server + client)
 *            (nomad/dtle.ts: the dtle task driver, its task lifecycle, signals and hooks)
 *   dtle/    what the dtle driver keeps in Consul (each job's state, its replication), on the driver's hooks
 *   consul/  a Consul 1.x agent's KV store, where the dtle driver keeps each job's state
 *   http/    what every simulated Go agent shares: its HTTP server, go-memdb's tables and change
 *            feed, Go's JSON decoding of bodies
 */
export { DEFAULT_DTLE_VERSION, SimNomad, dtleTemplate, noFaults, type SimFaults, type SimOptions, type SimTls } from './nomad';
export { SimConsul, type SimConsulOptions } from './consul';
export { DtleStore, LIBKV_FLAGS, type ReplicationOptions } from './dtle/store';
export type { DatabaseState } from './nomad/databases';
export type { DtleHooks, DtleStage, DtleTaskInfo, TaskStatistics } from './nomad/dtle';
export { taskEvent } from './nomad/shapes';
