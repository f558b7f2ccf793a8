/**
 * AWS list prices used by the cost bench: us-east-1, on demand, Lambda on arm64 (Graviton).
 * As of 2026 (list prices unchanged since they were last cut), from the services' public pricing
 * pages: "AWS Lambda Pricing", "Amazon SQS Pricing", "Amazon DynamoDB Pricing — On-demand".
 * Free tiers are ignored. Change the figures here, and the date with them, when AWS does.
 */
export const PRICES = {
  asOf: '2026 (list prices)',
  region: 'us-east-1',
  sources: [
    'AWS Lambda Pricing (aws.amazon.com/lambda/pricing)',
    'Amazon SQS Pricing (aws.amazon.com/sqs/pricing)',
    'Amazon DynamoDB Pricing, on-demand capacity (aws.amazon.com/dynamodb/pricing/on-demand)',
  ],
  lambda: {
    /** arm64, first pricing tier, per GB-second */
    arm64PerGbSecond: 0.0000133334,
    perMillionRequests: 0.2,
    /** billed duration is rounded up to the next millisecond */
    durationGranularityMs: 1,
    /** a function URL adds no charge beyond the function's own requests and duration */
    functionUrlPerMillion: 0,
  },
  sqs: {
    /** standard queue, per million requests; every 64 KB chunk of a payload is one request */
    standardPerMillionRequests: 0.4,
    chunkBytes: 64 * 1024,
  },
  dynamodb: {
    perMillionWriteUnits: 0.625,
    perMillionReadUnits: 0.125,
    /** table and index storage, per GB-month (the first 25 GB are free tier, ignored here) */
    storagePerGbMonth: 0.25,
    /** continuous backups (point-in-time recovery), per GB-month of table size */
    pitrPerGbMonth: 0.2,
  },
  /** fixed monthly charges of an idle stack ("Amazon CloudWatch Pricing", "AWS Secrets Manager Pricing", "AWS KMS Pricing", "Amazon S3 Pricing", "Amazon API Gateway Pricing") */
  monthly: {
    /** a standard-resolution metric alarm, per metric it evaluates (a math alarm pays for each metric in it) */
    alarmStandardPerMetric: 0.1,
    /** a high-resolution (period < 60 s) alarm, per metric */
    alarmHighResolutionPerMetric: 0.3,
    compositeAlarm: 0.5,
    /** a custom dashboard (the account's first three are free tier, ignored here) */
    dashboard: 3,
    secret: 0.4,
    /** a customer-managed KMS key; AWS-managed keys cost nothing a month */
    kmsCustomerKey: 1,
    /** CloudWatch Logs storage per GB-month; an idle stack ingests nothing */
    logStoragePerGbMonth: 0.03,
    s3StandardPerGbMonth: 0.023,
    /** an HTTP API bills per request only */
    httpApi: 0,
    /** an SNS topic bills per publish only */
    snsTopic: 0,
  },
} as const;

/** Published prices of hosted webhook gateways, per million deliveries (for comparison). */
export const GATEWAY_PRICES_PER_MILLION = {
  low: 3.3,
  high: 100,
  note: 'published prices of hosted webhook gateways, as published',
} as const;

export const COST_GOAL_PER_MILLION = 1.4;
