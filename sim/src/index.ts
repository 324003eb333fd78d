/**
 * @dtle-compat/sim: the simulated counterparts of what dtle-compat talks to, each an in-memory
 * HTTP server on loopback with the real one's paths, shapes, status codes, headers and error
 * texts. Used by the test suite, `dtle-compat --demo` and the benchmark; never by the service.
 *
 *   nomad/  a Nomad 1.x agent (server + client) with the dtle task driver
 *   http/   what every simulated Go agent shares: its HTTP server, Go's JSON decoding of bodies
 */
export { DEFAULT_DTLE_VERSION, SimNomad, dtleTemplate, noFaults, type SimFaults, type SimOptions, type SimTls } from './nomad';
export type { DatabaseState } from './nomad/databases';
export type { DtleHooks, DtleStage, DtleTaskInfo, TaskStatistics } from './nomad/dtle';
