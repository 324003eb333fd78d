/**
 * The dtle task driver's config schema (its hclspec), in both dialects, as data.
 * Sources: actiontech/dtle driver/driver.go at v4.22.07.2 (per-task dialect) and v4.23.04.3
 * (src-only dialect). The driver rejects unknown keys when a task starts, so only keys listed
 * here are ever written to Nomad.
 */
import { DTLE_SINCE, parseDtleVersion, versionAtLeast } from './dtleVersion';

export type Dialect = 'per-task' | 'src-only';

export type AttrType = 'string' | 'number' | 'bool' | 'list(string)';
export interface BlockSpec {
  kind: 'block' | 'blockList';
  fields: ObjectSpec;
  /** attributes the driver requires inside the block ("Missing required argument" otherwise) */
  required?: readonly string[];
}
export type FieldSpec = AttrType | BlockSpec;
export type ObjectSpec = Readonly<Record<string, FieldSpec>>;

const block = (fields: ObjectSpec, required: readonly string[] = []): BlockSpec => ({ kind: 'block', fields, required });
const blockList = (fields: ObjectSpec): BlockSpec => ({ kind: 'blockList', fields });

export const CONNECTION_SPEC: ObjectSpec = {
  Host: 'string',
  Port: 'number',
  User: 'string',
  Password: 'string',
  Charset: 'string',
};

export const CONNECTION_REQUIRED = ['Host', 'Port', 'User', 'Password'] as const;
export const KAFKA_REQUIRED = ['Topic', 'Brokers'] as const;

const ORACLE_SPEC: ObjectSpec = {
  ServiceName: 'string',
  Host: 'string',
  Port: 'number',
  User: 'string',
  Password: 'string',
  Scn: 'number',
};

const REPLICATE_DO_DB = blockList({
  TableSchema: 'string',
  TableSchemaRegex: 'string',
  TableSchemaRenameRegex: 'string',
  TableSchemaRename: 'string',
  TableSchemaScope: 'string',
  Tables: blockList({
    TableName: 'string',
    TableRegex: 'string',
    TableRename: 'string',
    TableRenameRegex: 'string',
    TableSchema: 'string',
    TableSchemaRename: 'string',
    Where: 'string',
    ColumnMapFrom: 'list(string)',
    ColumnMapTo: 'list(string)',
  }),
});

const REPLICATE_IGNORE_DB = blockList({
  TableSchema: 'string',
  Tables: blockList({ TableName: 'string', TableSchema: 'string' }),
});

/** Replication options both dialects accept. */
export const OPTION_SPEC: ObjectSpec = {
  ReplicateDoDb: REPLICATE_DO_DB,
  ReplicateIgnoreDb: REPLICATE_IGNORE_DB,
  DropTableIfExists: 'bool',
  ExpandSyntaxSupport: 'bool',
  ReplChanBufferSize: 'number',
  TrafficAgainstLimits: 'number',
  MaxRetries: 'number',
  ChunkSize: 'number',
  SqlFilter: 'list(string)',
  GroupMaxSize: 'number',
  GroupTimeout: 'number',
  Gtid: 'string',
  BinlogFile: 'string',
  BinlogPos: 'number',
  GtidStart: 'string',
  AutoGtid: 'bool',
  BinlogRelay: 'bool',
  ParallelWorkers: 'number',
  SkipCreateDbTable: 'bool',
  SkipPrivilegeCheck: 'bool',
  SkipIncrementalCopy: 'bool',
  SlaveNetWriteTimeout: 'number',
  WaitOnJob: 'string',
  BulkInsert1: 'number',
  BulkInsert2: 'number',
  BulkInsert3: 'number',
  BigTxSrcQueue: 'number',
  DependencyHistorySize: 'number',
  UseMySQLDependency: 'bool',
  ForeignKeyChecks: 'bool',
  DumpEntryLimit: 'number',
};

/** Options only the src-only dialect (>= 4.22.11) accepts. */
const SRC_ONLY_EXTRA_OPTIONS: ObjectSpec = {
  TwoWaySync: 'bool',
  TwoWaySyncGtid: 'string',
  RetryTxLimit: 'number',
  SetGtidNext: 'bool',
};

/** Replication options (everything but connection blocks and DestType) of each dialect. */
export const OPTIONS_BY_DIALECT: Record<Dialect, ObjectSpec> = {
  'per-task': OPTION_SPEC,
  'src-only': { ...OPTION_SPEC, ...SRC_ONLY_EXTRA_OPTIONS },
};

export const KAFKA_SPEC: Record<Dialect, ObjectSpec> = {
  'per-task': {
    Topic: 'string',
    Brokers: 'list(string)',
    Converter: 'string',
    TimeZone: 'string',
    MessageGroupMaxSize: 'number',
    MessageGroupTimeout: 'number',
    TopicWithSchemaTable: 'bool',
    SchemaChangeTopic: 'string',
  },
  'src-only': {
    Topic: 'string',
    Brokers: 'list(string)',
    Converter: 'string',
    DateTimeZone: 'string',
    MessageGroupMaxSize: 'number',
    MessageGroupTimeout: 'number',
    TopicWithSchemaTable: 'bool',
    SchemaChangeTopic: 'string',
    User: 'string',
    // The driver declares KafkaConfig.Password under the name "SchemaChangeTopic" (dtle 4.22.11 and
    // later), so a "Password" key fails the task: it is never written (docs/migration.md).
  },
};

/** The whole task config spec of each dialect. */
export const TASK_SPEC: Record<Dialect, ObjectSpec> = {
  'per-task': {
    ...OPTION_SPEC,
    ConnectionConfig: block(CONNECTION_SPEC, CONNECTION_REQUIRED),
    KafkaConfig: block(KAFKA_SPEC['per-task'], KAFKA_REQUIRED),
    OracleConfig: block(ORACLE_SPEC, Object.keys(ORACLE_SPEC)),
  },
  'src-only': {
    ...OPTION_SPEC,
    ...SRC_ONLY_EXTRA_OPTIONS,
    SrcConnectionConfig: block(CONNECTION_SPEC, CONNECTION_REQUIRED),
    DestConnectionConfig: block(CONNECTION_SPEC, CONNECTION_REQUIRED),
    KafkaConfig: block(KAFKA_SPEC['src-only'], KAFKA_REQUIRED),
    SrcOracleConfig: block(ORACLE_SPEC, Object.keys(ORACLE_SPEC)),
    DestType: 'string',
  },
};

/** Keys of the src-only dialect that mark a stored task config as written in it. */
export const SRC_ONLY_MARKERS = ['SrcConnectionConfig', 'DestConnectionConfig', 'DestType', 'SrcOracleConfig'] as const;

/**
 * The dialect a dtle version understands: "4.22.07.2" → per-task, "4.23.04.3" → src-only.
 * Development builds report 9.9.9.9 (newest). Unparseable versions give null.
 */
export function dialectForVersion(version: string): Dialect | null {
  if (parseDtleVersion(version) === null) return null;
  return versionAtLeast(version, DTLE_SINCE.srcOnlyConfig) ? 'src-only' : 'per-task';
}
