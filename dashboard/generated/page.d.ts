/**
 * Declares dashboard/generated/page.js, which dashboard/build.ts writes before `cdk synth`
 * (cdk.json "build") and which is not committed: the kpi function's Lambda bundle imports it.
 */
export declare const html: string;
export declare const csp: string;
