import 'aws-sdk-client-mock-jest';

// Powertools prints pretty, unbuffered logs in dev mode; tests assert on them through captured output.
process.env.POWERTOOLS_DEV = 'true';
