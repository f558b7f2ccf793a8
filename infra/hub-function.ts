import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime, SystemLogLevel, Tracing } from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Repository root: entries and the lock file are resolved from here, wherever cdk runs. */
export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** The functions the hub deploys; each has `functions/<name>/handler.ts`. */
export type HubFunctionName = 'ingest' | 'normalize' | 'stock' | 'kpi' | 'fold' | 'docs' | 'hydrate' | 'outbound';

export interface HubFunctionProps {
  name: HubFunctionName;
  stage: 'dev' | 'prod';
  /** Active X-Ray tracing (`-c tracing=true`); off by default because traces are billed per segment. */
  tracing: boolean;
  environment?: Record<string, string>;
  timeout?: Duration;
  /**
   * 256 MB by default: Lambda allots CPU in proportion to memory, and a bundled AWS SDK plus zod
   * schemas parse noticeably faster on 256 MB than on 128 MB, which shortens cold starts that a
   * webhook sender waits on. The hub's handlers are I/O bound and run for tens of milliseconds, so
   * the GB-seconds stay small next to the $0.20 per million request charge (on arm64, 256 MB for
   * 20 ms is about $0.07 per million invocations).
   */
  memorySize?: number;
  reservedConcurrentExecutions?: number;
  /** how long the function's logs are kept; a month in prod and a week in dev unless the stack says */
  logRetention?: RetentionDays;
}

/**
 * Every hub function's defaults in one place: Node.js 22 on Graviton, a minified ESM bundle with
 * source maps and the AWS SDK inside it, JSON logs with retention, Powertools settings, and a role
 * that starts with nothing but write access to the function's own log group.
 */
export class HubFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: HubFunctionProps) {
    super(scope, id);
    const prod = props.stage === 'prod';

    this.logGroup = new LogGroup(this, 'Logs', {
      // a LogGroup we own instead of `logRetention`, which needs a custom-resource Lambda of its own
      retention: props.logRetention ?? (prod ? RetentionDays.ONE_MONTH : RetentionDays.ONE_WEEK),
      removalPolicy: prod ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });

    // Our own role rather than the default one: the default attaches the AWS-managed
    // AWSLambdaBasicExecutionRole, which may write to every log group in the account.
    this.role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    this.logGroup.grantWrite(this.role);

    this.fn = new NodejsFunction(this, 'Fn', {
      entry: `${REPO_ROOT}functions/${props.name}/handler.ts`,
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}package-lock.json`,
      runtime: Runtime.NODEJS_22_X,
      // Graviton: 20% cheaper per GB-second than x86 for the same code
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout ?? Duration.seconds(10),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      // The platform's start and report records add 0.5-1 KB per invocation; at one ingest
      // invocation per delivery that is up to $0.50 of CloudWatch ingestion ($0.50/GB) per million
      // deliveries, a third of the hub's cost goal. Duration and errors remain CloudWatch metrics.
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      environment: {
        POWERTOOLS_SERVICE_NAME: `inventory-hub-${props.name}`,
        POWERTOOLS_METRICS_NAMESPACE: 'InventoryHub',
        POWERTOOLS_LOG_LEVEL: prod ? 'WARN' : 'INFO',
        HUB_STAGE: props.stage,
        // stack traces from the minified bundle point at the TypeScript sources
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        // esbuild's size table per function is noise in `cdk synth`/`deploy`; warnings and errors still show
        logLevel: LogLevel.WARNING,
        sourceMap: true,
        target: 'node22',
        // The runtime's SDK version drifts from the one tests ran against; bundling our pinned
        // @aws-sdk/* makes the deployed code the tested code (and tree-shakes what is unused).
        bundleAwsSDK: true,
        externalModules: [],
        // prefer ESM entry points so esbuild can tree-shake the SDK and Powertools
        mainFields: ['module', 'main'],
        // A CommonJS dependency bundled into ESM calls `require` for Node built-ins, which esbuild's
        // stub rejects at run time ("Dynamic require of X is not supported") without a real one
        banner:
          "import { createRequire as __hubCreateRequire } from 'node:module';const require = __hubCreateRequire(import.meta.url);",
      },
    });

    Validations.of(this.fn).acknowledge({
      id: 'AwsSolutions-L1',
      reason:
        'nodejs22.x is the runtime the project targets and tests against (Node 20+ locally); moving to a newer runtime is a deliberate upgrade, not a drive-by.',
    });
    if (props.tracing) {
      Validations.of(this.role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'X-Ray PutTraceSegments/PutTelemetryRecords do not support resource-level permissions.',
      });
    }
  }
}
