// The aws-sdk-client-mock-jest matchers are imported by the test files that use them: loading them here cost every
// test file about 75 ms.

// Powertools writes through the global console in dev mode; tests read what was logged from these mocks.
process.env.POWERTOOLS_DEV = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// Dev mode turns metrics off; the tests read the EMF lines they write.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';

beforeEach(() => {
  for (const level of ['log', 'info', 'warn', 'debug', 'error'] as const) {
    jest.spyOn(console, level).mockImplementation(() => undefined);
  }
});

afterEach(() => {
  jest.restoreAllMocks();
});
