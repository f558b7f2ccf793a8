/**
 * Imported first by the local tools (npm start, npm run hub, npm run demo). The AWS SDK warns on
 * Node 20 that its releases after January 2027 need Node 22; the hub supports Node 20 (package.json
 * engines, Lambda runs 22), so on every start the warning would bury the banner. The SDK's own switch
 * turns off that one warning and no other; a value the user set is kept.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export {};
