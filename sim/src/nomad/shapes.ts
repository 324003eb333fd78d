/**
 * Builders of the Nomad objects the simulator serves (nodes, evaluations, allocations, task
 * events, deployments, stubs) and their JSON views. Field order follows nomad/structs v1.11.3;
 * Allocation and Evaluation are `omitempty` structs in Nomad, so their JSON drops empty values.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Int64Value, int64 } from '../../../src/legacy/int64';
import { goDuration, rfc3339Nano } from '../../../src/nomad/go';
import type {
  AgentMember,
  AllocListStub,
  AllocMetric,
  AllocatedResources,
  Allocation,
  Deployment,
  DesiredTransition,
  DriverInfo,
  Evaluation,
  Job,
  JobListStub,
  JobSummary,
  Node,
  NodeListStub,
  Resources,
  StrMap,
  Task,
  TaskEvent,
  TaskGroup,
  TaskGroupSummary,
  TaskState,
} from './structs';


/**
 * The ID of the keyring's active root key, which signs the allocations' workload identities
 * (Allocation.SigningKeyID, set by the plan's apply) and the nodes' (Node.IdentitySigningKeyID).
 */
export const SIGNING_KEY_ID = randomUUID();

export const NOMAD_VERSION = '1.11.3';
export const NOMAD_REVISION = 'd3ca3e8e4bb5e9c2c6b2c1ea2b0ba0a7b1f5a9e4';

/* ------------------------------------------------------------------ nodes */

export interface NodeSpec {
  name: string;
  address: string;
  dtleVersion: string | null;
  datacenter: string;
}

function driverInfo(attributes: StrMap, updated: string): DriverInfo {
  return { Attributes: attributes, Detected: true, Healthy: true, HealthDescription: 'Healthy', UpdateTime: updated };
}

/**
 * The release commits of the dtle tags the real-dtle tier builds (its full_version is
 * `<version>-<GitBranch>-<GitCommit>`, the build's branch and 7 hex of its commit); another
 * version gets 7 hex of its own hash.
 */
const DTLE_RELEASE_COMMITS: ReadonlyMap<string, string> = new Map([
  ['4.22.07.2', 'a1532de'],
  ['4.23.04.3', '0645b24'],
]);

/** driver.dtle.full_version as a build of dtle's tag reports it (g.Version-g.GitBranch-g.GitCommit). */
export function dtleFullVersion(version: string): string {
  const commit = DTLE_RELEASE_COMMITS.get(version) ?? createHash('sha1').update(version).digest('hex').slice(0, 7);
  return `${version}-HEAD-${commit}`;
}

/**
 * The drivers a simulated node reports: raw_exec always, dtle unless its version is null. Each
 * driver's own fingerprint says `driver.<name>` "true" (a bool attribute); the node's Attributes
 * get "1" for it while it is detected (client/node_updater.go), as `buildNode` writes them.
 */
export function nodeDrivers(spec: NodeSpec, updated: string): Record<string, DriverInfo> {
  const drivers: Record<string, DriverInfo> = {
    raw_exec: driverInfo({ 'driver.raw_exec': 'true' }, updated),
  };
  if (spec.dtleVersion !== null) {
    drivers.dtle = driverInfo(
      {
        'driver.dtle': 'true',
        'driver.dtle.version': spec.dtleVersion,
        'driver.dtle.full_version': dtleFullVersion(spec.dtleVersion),
      },
      updated,
    );
  }
  return drivers;
}

export function buildNode(spec: NodeSpec, index: number, now: bigint): Node {
  const updated = rfc3339Nano(now);
  const drivers = nodeDrivers(spec, updated);
  const attributes: StrMap = {
    arch: 'x86_64',
    'cpu.arch': 'amd64',
    'cpu.frequency': '2400',
    'cpu.modelname': 'Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz',
    'cpu.numcores': '4',
    'cpu.reservablecores': '4',
    'cpu.totalcompute': '9600',
    'cpu.usablecompute': '9600',
    'kernel.arch': 'x86_64',
    'kernel.name': 'linux',
    'kernel.version': '5.15.0-91-generic',
    'memory.totalbytes': '8342966272',
    'nomad.advertise.address': `${spec.address}:4646`,
    'nomad.bridge.hairpin_mode': 'false',
    'nomad.revision': NOMAD_REVISION,
    'nomad.service_discovery': 'true',
    'nomad.version': NOMAD_VERSION,
    'numa.node.count': '1',
    'numa.node0.cores': '0-3',
    'os.cgroups.version': '2',
    'os.name': 'ubuntu',
    'os.signals': 'SIGINT,SIGKILL,SIGQUIT,SIGTERM,SIGHUP,SIGUSR1,SIGUSR2',
    'os.version': '22.04',
    'unique.cgroup.mountpoint': '/sys/fs/cgroup',
    'unique.cgroup.version': 'v2',
    'unique.hostname': spec.name,
    'unique.network.ip-address': spec.address,
    'unique.storage.bytesfree': '41288904704',
    'unique.storage.bytestotal': '62671097856',
    'unique.storage.volume': '/dev/sda1',
  };
  for (const [name, info] of Object.entries(drivers)) Object.assign(attributes, info.Attributes ?? {}, { [`driver.${name}`]: '1' });
  const sorted: StrMap = {};
  for (const k of Object.keys(attributes).sort()) sorted[k] = attributes[k] as string;
  return {
    ID: randomUUID(),
    SecretID: '',
    Datacenter: spec.datacenter,
    Name: spec.name,
    CgroupParent: 'nomad.slice',
    HTTPAddr: `${spec.address}:4646`,
    TLSEnabled: false,
    Attributes: sorted,
    NodeResources: {
      Cpu: { CpuShares: 9600, TotalCpuCores: 4, ReservableCpuCores: [0, 1, 2, 3] },
      Processors: { Topology: { Nodes: [0], Distances: [[10]], Cores: null, OverrideTotalCompute: 0, OverrideWitholdCompute: 0 } },
      Memory: { MemoryMB: 7956 },
      Disk: { DiskMB: 39375 },
      Devices: null,
      NodeNetworks: [
        {
          Mode: 'host',
          Device: 'eth0',
          MacAddress: '02:42:ac:11:00:02',
          Speed: 1000,
          Addresses: [{ Family: 'ipv4', Alias: 'default', Address: spec.address, ReservedPorts: '', Gateway: '' }],
        },
      ],
      // NetworkResource is an omitempty struct (1.11.3): no DNS, ports or CNI when there are none
      Networks: [{ Mode: 'host', Device: 'eth0', CIDR: `${spec.address}/32`, IP: spec.address, MBits: 1000 }],
      MinDynamicPort: 20000,
      MaxDynamicPort: 32000,
    },
    ReservedResources: {
      Cpu: { CpuShares: 0, ReservedCpuCores: null },
      Memory: { MemoryMB: 0 },
      Disk: { DiskMB: 0 },
      Networks: { ReservedHostPorts: '' },
    },
    Links: null,
    Meta: {
      'connect.gateway_image': 'docker.io/envoyproxy/envoy:v${NOMAD_envoy_version}',
      'connect.log_level': 'info',
      'connect.proxy_concurrency': '1',
      'connect.sidecar_image': 'docker.io/envoyproxy/envoy:v${NOMAD_envoy_version}',
      'connect.transparent_proxy.default_outbound_port': '15001',
      'connect.transparent_proxy.default_uid': '101',
    },
    NodeClass: '',
    NodePool: 'default',
    ComputedClass: `v1:${Math.abs(hashCode(spec.name + JSON.stringify(Object.keys(drivers)))).toString()}`,
    DrainStrategy: null,
    SchedulingEligibility: 'eligible',
    Status: 'ready',
    StatusDescription: '',
    IdentitySigningKeyID: SIGNING_KEY_ID,
    StatusUpdatedAt: Math.floor(Number(now / 1_000_000_000n)),
    Events: [{ Message: 'Node registered', Subsystem: 'Cluster', Details: null, Timestamp: updated, CreateIndex: index }],
    Drivers: drivers,
    CSIControllerPlugins: null,
    CSINodePlugins: null,
    HostVolumes: null,
    GCVolumesOnNodeGC: false,
    HostNetworks: null,
    LastDrain: null,
    NodeMaxAllocs: 0,
    LastMissedHeartbeatIndex: 0,
    LastAllocUpdateIndex: index,
    CreateIndex: index,
    ModifyIndex: index,
    Drain: false,
  };
}

function hashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(31, h) + s.charCodeAt(i)) | 0;
  return h;
}

export function nodeStub(n: Node, fields: { resources: boolean; os: boolean }): NodeListStub {
  const stub: NodeListStub = {
    Address: n.HTTPAddr.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1'),
    ID: n.ID,
    Datacenter: n.Datacenter,
    Name: n.Name,
    NodePool: n.NodePool,
    NodeClass: n.NodeClass,
    Version: n.Attributes['nomad.version'] ?? '',
    Drain: n.DrainStrategy !== null,
    SchedulingEligibility: n.SchedulingEligibility,
    Status: n.Status,
    StatusDescription: n.StatusDescription,
    Drivers: n.Drivers,
    HostVolumes: n.HostVolumes,
    LastDrain: n.LastDrain,
    CreateIndex: n.CreateIndex,
    ModifyIndex: n.ModifyIndex,
  };
  if (fields.os) stub.Attributes = { 'os.name': n.Attributes['os.name'] ?? '' };
  if (fields.resources) {
    stub.NodeResources = n.NodeResources;
    stub.ReservedResources = n.ReservedResources;
  }
  // key order of structs.NodeListStub
  const ordered: NodeListStub = {
    Address: stub.Address,
    ID: stub.ID,
    ...(stub.Attributes ? { Attributes: stub.Attributes } : {}),
    Datacenter: stub.Datacenter,
    Name: stub.Name,
    NodePool: stub.NodePool,
    NodeClass: stub.NodeClass,
    Version: stub.Version,
    Drain: stub.Drain,
    SchedulingEligibility: stub.SchedulingEligibility,
    Status: stub.Status,
    StatusDescription: stub.StatusDescription,
    Drivers: stub.Drivers,
    HostVolumes: stub.HostVolumes,
    ...(stub.NodeResources ? { NodeResources: stub.NodeResources, ReservedResources: stub.ReservedResources } : {}),
    LastDrain: stub.LastDrain,
    CreateIndex: stub.CreateIndex,
    ModifyIndex: stub.ModifyIndex,
  };
  return ordered;
}

/** Whether a node can run a task of this driver. */
export function nodeHasDriver(n: Node, driver: string): boolean {
  const d = n.Drivers[driver];
  return d !== undefined && d.Detected && d.Healthy;
}

/* ------------------------------------------------------------------ agent */

export function serverMember(opts: { name: string; address: string; region: string; datacenter: string; id: string }): AgentMember {
  return {
    Name: `${opts.name}.${opts.region}`,
    Addr: opts.address,
    Port: 4648,
    Tags: {
      bootstrap: '1',
      build: NOMAD_VERSION,
      dc: opts.datacenter,
      expect: '1',
      id: opts.id,
      port: '4647',
      raft_vsn: '3',
      region: opts.region,
      revision: NOMAD_REVISION,
      role: 'nomad',
      rpc_addr: opts.address,
      vsn: '1',
    },
    Status: 'alive',
    ProtocolMin: 1,
    ProtocolMax: 5,
    ProtocolCur: 2,
    DelegateMin: 2,
    DelegateMax: 5,
    DelegateCur: 4,
  };
}

/* ------------------------------------------------------------------ summaries and stubs */

export function emptyGroupSummary(): TaskGroupSummary {
  return { Queued: 0, Complete: 0, Failed: 0, Running: 0, Starting: 0, Lost: 0, Unknown: 0 };
}

export function jobStub(j: Job, summary: JobSummary | null, withMeta: boolean): JobListStub {
  const stub: JobListStub = {
    ID: j.ID,
    ParentID: j.ParentID,
    Name: j.Name,
    Namespace: j.Namespace,
    Datacenters: j.Datacenters,
    NodePool: j.NodePool,
    Multiregion: j.Multiregion,
    Type: j.Type,
    Priority: j.Priority,
    Periodic: j.Periodic !== null,
    ParameterizedJob: j.ParameterizedJob !== null,
    Stop: j.Stop,
    Status: j.Status,
    StatusDescription: j.StatusDescription,
    JobSummary: summary,
    CreateIndex: j.CreateIndex,
    ModifyIndex: j.ModifyIndex,
    JobModifyIndex: j.JobModifyIndex,
    SubmitTime: j.SubmitTime,
  };
  if (withMeta && j.Meta !== null && Object.keys(j.Meta).length > 0) stub.Meta = j.Meta;
  return stub;
}

export function allocStub(a: Allocation, fields: { resources: boolean; taskStates: boolean }): AllocListStub {
  return {
    ID: a.ID,
    EvalID: a.EvalID,
    Name: a.Name,
    Namespace: a.Namespace,
    NodeID: a.NodeID,
    NodeName: a.NodeName,
    JobID: a.JobID,
    JobType: a.Job.Type,
    JobVersion: a.Job.Version,
    TaskGroup: a.TaskGroup,
    ...(fields.resources && a.AllocatedResources ? { AllocatedResources: a.AllocatedResources } : {}),
    DesiredStatus: a.DesiredStatus,
    DesiredDescription: a.DesiredDescription,
    ClientStatus: a.ClientStatus,
    ClientDescription: a.ClientDescription,
    DesiredTransition: a.DesiredTransition,
    TaskStates: fields.taskStates ? a.TaskStates : null,
    DeploymentStatus: a.DeploymentStatus,
    FollowupEvalID: a.FollowupEvalID,
    NextAllocation: a.NextAllocation,
    RescheduleTracker: a.RescheduleTracker,
    PreemptedAllocations: a.PreemptedAllocations,
    PreemptedByAllocation: a.PreemptedByAllocation,
    CreateIndex: a.CreateIndex,
    ModifyIndex: a.ModifyIndex,
    CreateTime: a.CreateTime,
    ModifyTime: a.ModifyTime,
  };
}

/* ------------------------------------------------------------------ omitempty */

/** go-codec's isEmpty for `omitempty`: zero scalars, nil or empty maps/slices, nil pointers, zero structs. */
function isEmptyValue(v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'string') return v === '';
  if (typeof v === 'number') return v === 0;
  if (v instanceof Int64Value) return v.digits === '0';
  if (typeof v === 'boolean') return !v;
  if (Array.isArray(v)) return v.length === 0;
  return false;
}

/** An Allocation / Evaluation view without the empty fields, as Nomad writes these omitempty structs. */
export function omitEmpty<T extends object>(o: T, keepStructs: ReadonlySet<string> = new Set()): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (isEmptyValue(v)) continue;
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    if (k === 'DesiredTransition' && !keepStructs.has(k)) {
      const dt = v as DesiredTransition;
      if (Object.values(dt).every((x) => x === null)) continue;
    }
    out[k] = v;
  }
  return out as Partial<T>;
}

/* ------------------------------------------------------------------ evaluations */

export function newEval(p: {
  namespace: string;
  priority: number;
  type: string;
  triggeredBy: string;
  jobId: string;
  jobModifyIndex: number;
  status: string;
  index: number;
  now: bigint;
}): Evaluation {
  return {
    ID: randomUUID(),
    Namespace: p.namespace,
    Priority: p.priority,
    Type: p.type,
    TriggeredBy: p.triggeredBy,
    JobID: p.jobId,
    JobModifyIndex: p.jobModifyIndex,
    NodeID: '',
    NodeModifyIndex: 0,
    DeploymentID: '',
    Status: p.status,
    StatusDescription: '',
    Wait: 0,
    WaitUntil: null,
    NextEval: '',
    PreviousEval: '',
    BlockedEval: '',
    RelatedEvals: null,
    FailedTGAllocs: null,
    PlanAnnotations: null,
    ClassEligibility: null,
    QuotaLimitReached: '',
    EscapedComputedClass: false,
    AnnotatePlan: false,
    QueuedAllocations: null,
    LeaderACL: '',
    SnapshotIndex: 0,
    CreateIndex: p.index,
    ModifyIndex: p.index,
    CreateTime: int64(p.now),
    ModifyTime: int64(p.now),
  };
}

export function allocMetric(p: {
  nodesEvaluated: number;
  nodesFiltered: number;
  nodesInPool: number;
  available: Record<string, number>;
  constraintFiltered?: Record<string, number> | null;
  classFiltered?: Record<string, number> | null;
  scoreNode?: string;
  coalesced?: number;
}): AllocMetric {
  return {
    NodesEvaluated: p.nodesEvaluated,
    NodesFiltered: p.nodesFiltered,
    NodesInPool: p.nodesInPool,
    NodePool: 'default',
    NodesAvailable: p.available,
    ClassFiltered: p.classFiltered ?? null,
    ConstraintFiltered: p.constraintFiltered ?? null,
    NodesExhausted: 0,
    ClassExhausted: null,
    DimensionExhausted: null,
    QuotaExhausted: null,
    ResourcesExhausted: null,
    Scores: null,
    ScoreMetaData: p.scoreNode
      ? [{ NodeID: p.scoreNode, Scores: { binpack: 0.3043643439073376, 'job-anti-affinity': 0, 'node-reschedule-penalty': 0, 'node-affinity': 0 }, NormScore: 0.3043643439073376 }]
      : null,
    AllocationTime: 66628,
    CoalescedFailures: p.coalesced ?? 0,
  };
}

/* ------------------------------------------------------------------ allocations */

function taskResources(t: Task): Resources {
  return {
    CPU: t.Resources.CPU,
    Cores: t.Resources.Cores,
    MemoryMB: t.Resources.MemoryMB,
    MemoryMaxMB: t.Resources.MemoryMaxMB,
    DiskMB: 0,
    IOPS: 0,
    Networks: t.Resources.Networks,
    Devices: null,
    NUMA: null,
    SecretsMB: t.Resources.SecretsMB,
  };
}

export function allocatedResources(tg: TaskGroup): AllocatedResources {
  const tasks: AllocatedResources['Tasks'] = {};
  const lifecycles: AllocatedResources['TaskLifecycles'] = {};
  for (const t of tg.Tasks) {
    tasks[t.Name] = {
      Cpu: { CpuShares: t.Resources.CPU, ReservedCores: null },
      Memory: { MemoryMB: t.Resources.MemoryMB, MemoryMaxMB: t.Resources.MemoryMaxMB },
      Networks: null,
      Devices: null,
    };
    lifecycles[t.Name] = t.Lifecycle;
  }
  return { Tasks: tasks, TaskLifecycles: lifecycles, Shared: { Networks: null, DiskMB: tg.EphemeralDisk.SizeMB, Ports: null } };
}

export function newAlloc(p: {
  job: Job;
  tg: TaskGroup;
  idx: number;
  node: Node;
  evalId: string;
  deploymentId: string;
  metrics: AllocMetric;
  index: number;
  now: bigint;
}): Allocation {
  const taskRes: Record<string, Resources> = {};
  const total: Resources = { CPU: 0, Cores: 0, MemoryMB: 0, MemoryMaxMB: 0, DiskMB: 0, IOPS: 0, Networks: null, Devices: null, NUMA: null, SecretsMB: 0 };
  for (const t of p.tg.Tasks) {
    const r = taskResources(t);
    taskRes[t.Name] = r;
    total.CPU += r.CPU;
    total.Cores += r.Cores;
    total.MemoryMB += r.MemoryMB;
    total.MemoryMaxMB += r.MemoryMaxMB > 0 ? r.MemoryMaxMB : r.MemoryMB;
    total.SecretsMB += r.SecretsMB;
  }
  total.DiskMB = p.tg.EphemeralDisk.SizeMB;
  return {
    ID: randomUUID(),
    Namespace: p.job.Namespace,
    EvalID: p.evalId,
    Name: `${p.job.ID}.${p.tg.Name}[${p.idx}]`,
    NodeID: p.node.ID,
    NodeName: p.node.Name,
    JobID: p.job.ID,
    Job: p.job,
    TaskGroup: p.tg.Name,
    Resources: total,
    SharedResources: { CPU: 0, Cores: 0, MemoryMB: 0, MemoryMaxMB: 0, DiskMB: p.tg.EphemeralDisk.SizeMB, IOPS: 0, Networks: null, Devices: null, NUMA: null, SecretsMB: 0 },
    TaskResources: taskRes,
    AllocatedResources: allocatedResources(p.tg),
    Metrics: p.metrics,
    DesiredStatus: 'run',
    DesiredDescription: '',
    DesiredTransition: { Migrate: null, Reschedule: null, ForceReschedule: null, NoShutdownDelay: null, MigrateDisablePlacement: null },
    ClientStatus: 'pending',
    ClientDescription: '',
    TaskStates: null,
    AllocStates: null,
    PreviousAllocation: '',
    NextAllocation: '',
    DeploymentID: p.deploymentId,
    DeploymentStatus: null,
    RescheduleTracker: null,
    NetworkStatus: null,
    FollowupEvalID: '',
    PreemptedAllocations: null,
    PreemptedByAllocation: '',
    SigningKeyID: SIGNING_KEY_ID,
    CreateIndex: p.index,
    ModifyIndex: p.index,
    AllocModifyIndex: p.index,
    CreateTime: int64(p.now),
    ModifyTime: int64(p.now),
  };
}

/* ------------------------------------------------------------------ task events */

export function taskEvent(type: string, time: bigint, over: Partial<TaskEvent> = {}): TaskEvent {
  const e: TaskEvent = {
    Type: type,
    Time: int64(time),
    Message: '',
    DisplayMessage: '',
    Details: {},
    FailsTask: false,
    RestartReason: '',
    SetupError: '',
    DriverError: '',
    ExitCode: 0,
    Signal: 0,
    KillTimeout: 0,
    KillError: '',
    KillReason: '',
    StartDelay: 0,
    DownloadError: '',
    ValidationError: '',
    DiskLimit: 0,
    FailedSibling: '',
    VaultError: '',
    TaskSignalReason: '',
    TaskSignal: '',
    DriverMessage: '',
    GenericSource: '',
    ...over,
  };
  if (e.DisplayMessage === '') e.DisplayMessage = displayMessage(e);
  return e;
}

/** structs.TaskEvent.PopulateEventDisplayMessage for the event types the simulator emits. */
function displayMessage(e: TaskEvent): string {
  switch (e.Type) {
    case 'Task Setup':
      return e.Message;
    case 'Started':
      return 'Task started by client';
    case 'Received':
      return 'Task received by client';
    case 'Driver':
      return e.DriverMessage;
    case 'Killing':
      return e.KillReason !== '' ? e.KillReason : e.KillTimeout !== 0 ? `Sent interrupt. Waiting ${goDuration(e.KillTimeout)} before force killing` : 'Sent interrupt';
    case 'Killed':
      return e.KillError !== '' ? e.KillError : 'Task successfully killed';
    case 'Terminated': {
      const parts = [`Exit Code: ${e.ExitCode}`];
      if (e.Signal !== 0) parts.push(`Signal: ${e.Signal}`);
      // Go's %q of the message
      if (e.Message !== '') parts.push(`Exit Message: ${JSON.stringify(e.Message)}`);
      return parts.join(', ');
    }
    case 'Restarting': {
      const in_ = `Task restarting in ${goDuration(e.StartDelay)}`;
      return e.RestartReason !== '' && e.RestartReason !== 'Restart within policy' ? `${e.RestartReason} - ${in_}` : in_;
    }
    case 'Not Restarting':
      return e.RestartReason !== '' ? e.RestartReason : 'Task exceeded restart policy';
    case 'Driver Failure':
      return e.DriverError !== '' ? e.DriverError : 'Failed to start task';
    case 'Signaling':
      if (e.TaskSignal === '' && e.TaskSignalReason === '') return 'Task being sent a signal';
      if (e.TaskSignal === '') return e.TaskSignalReason;
      return e.TaskSignalReason === '' ? `Task being sent signal ${e.TaskSignal}` : `Task being sent signal ${e.TaskSignal}: ${e.TaskSignalReason}`;
    default:
      return e.Message;
  }
}

/** A task event the dtle driver sends (client/allocrunner: Type Driver, Details = annotations). */
export function driverEvent(message: string, time: bigint): TaskEvent {
  return taskEvent('Driver', time, { Details: null, DriverMessage: message });
}

/** A task that has been stopped by the server. */
export function stoppedState(prev: TaskState | undefined, t0: bigint, killTimeout: number): TaskState {
  const events = [...(prev?.Events ?? [])];
  events.push(taskEvent('Killing', t0, { KillTimeout: killTimeout }));
  events.push(taskEvent('Terminated', t0 + 5_000_000n, { ExitCode: 0, Details: { exit_code: '0', signal: '0', oom_killed: 'false', exit_message: '' } }));
  events.push(taskEvent('Killed', t0 + 6_000_000n));
  return {
    State: 'dead',
    Failed: false,
    Restarts: prev?.Restarts ?? 0,
    LastRestart: prev?.LastRestart ?? null,
    StartedAt: prev?.StartedAt ?? null,
    FinishedAt: rfc3339Nano(t0 + 6_000_000n),
    Events: events,
    Paused: '',
  };
}

/* ------------------------------------------------------------------ deployments */

export function newDeployment(job: Job, index: number, now: bigint): Deployment {
  const groups: Deployment['TaskGroups'] = {};
  for (const tg of job.TaskGroups) {
    if (!tg.Update || tg.Update.MaxParallel === 0) continue;
    groups[tg.Name] = {
      AutoRevert: tg.Update.AutoRevert,
      AutoPromote: tg.Update.AutoPromote,
      ProgressDeadline: tg.Update.ProgressDeadline,
      RequireProgressBy: tg.Update.ProgressDeadline > 0 ? rfc3339Nano(now + BigInt(tg.Update.ProgressDeadline)) : null,
      Promoted: false,
      PlacedCanaries: null,
      DesiredCanaries: tg.Update.Canary,
      DesiredTotal: tg.Count,
      PlacedAllocs: 0,
      HealthyAllocs: 0,
      UnhealthyAllocs: 0,
    };
  }
  return {
    ID: randomUUID(),
    Namespace: job.Namespace,
    JobID: job.ID,
    JobVersion: job.Version,
    JobModifyIndex: job.JobModifyIndex,
    JobSpecModifyIndex: job.JobModifyIndex,
    JobCreateIndex: job.CreateIndex,
    IsMultiregion: false,
    TaskGroups: groups,
    Status: 'running',
    StatusDescription: 'Deployment is running',
    EvalPriority: 0,
    CreateIndex: index,
    ModifyIndex: index,
    CreateTime: int64(now),
    ModifyTime: int64(now),
  };
}

/** Fields the server manages: a re-registered job whose other fields are equal did not change. */
const SERVER_FIELDS = new Set(['Status', 'StatusDescription', 'Stable', 'Version', 'SubmitTime', 'CreateIndex', 'ModifyIndex', 'JobModifyIndex', 'NomadTokenID']);

export function specKey(j: Job): string {
  return JSON.stringify(j, (k, v: unknown) => (SERVER_FIELDS.has(k) ? undefined : v));
}
