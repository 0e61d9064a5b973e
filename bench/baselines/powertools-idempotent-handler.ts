// The baseline as a Lambda entry point (bundled by `npm run bench -- --only bundle`).
import { createBaselineHandler } from './powertools-idempotent-view.js';

export const handler = createBaselineHandler(process.env).handler;
